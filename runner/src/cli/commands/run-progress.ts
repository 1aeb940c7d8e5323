/**
 * The live terminal view of `tessera run`: a cli-progress bar per stage (stage, epoch, batch, loss,
 * ETA) with one line per finished epoch above it; when stderr is not a TTY (CI, pipes), plain
 * lines instead: one per epoch and a few per epoch for batches. Everything goes to stderr.
 */
import cliProgress from "cli-progress";
import { createColors } from "picocolors";
import type { TrainHooks } from "../../train";

const fmt = (n: number, digits = 4) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
const lrText = (lrs: Record<string, number>) =>
  Object.entries(lrs)
    .map(([g, lr]) => `${g}=${lr.toExponential(1)}`)
    .join(" ");

/** Progress hooks writing to `stream` (default stderr); `close()` stops the bar. */
export function progressHooks(stream: NodeJS.WriteStream = process.stderr): TrainHooks & { close(): void } {
  const tty = Boolean(stream.isTTY);
  // Colour only on a terminal: logs in CI (where picocolors' own check says yes) stay plain text.
  const pc = createColors(tty && !process.env.NO_COLOR);
  const multi = tty
    ? new cliProgress.MultiBar(
        {
          stream,
          format: `{stage} ${pc.dim("epoch")} {epoch}/{epochs} ${pc.dim("batch")} {batch}/{batches} [{bar}] loss {loss} | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let bar: cliProgress.SingleBar | null = null;
  let epochs = 0;
  const line = (text: string) => (multi ? multi.log(`${text}\n`) : stream.write(`${text}\n`));
  const stopBar = () => {
    if (bar && multi) multi.remove(bar);
    bar = null;
  };
  return {
    onLrFind(l) {
      const s = Object.entries(l.suggestions)
        .map(([rule, lr]) => `${rule} ${lr.toExponential(2)}`)
        .join(", ");
      line(
        `${pc.cyan(l.stage)} LR finder (${l.points.length} steps): ${s}; using ${l.chosen.rule} ${l.chosen.lr.toExponential(2)}`,
      );
    },
    onStageBegin(info) {
      epochs = info.stage.epochs;
      const fold = info.fold === null ? "" : ` fold ${info.fold}`;
      line(
        `${pc.cyan(info.stage.name)}${fold}: size ${info.stage.size}, ${epochs} epoch(s) x ${info.stepsPerEpoch} batches of ${info.batchSize}, trains [${info.trainable.join(", ")}], LR ${lrText(info.lrs)}`,
      );
      stopBar();
      if (multi) {
        bar = multi.create(epochs * info.stepsPerEpoch, 0, {
          stage: info.stage.name,
          epoch: 1,
          epochs,
          batch: 0,
          batches: info.stepsPerEpoch,
          loss: "-",
        });
      }
    },
    onBatchEnd(l) {
      if (bar) {
        bar.update(l.step, { epoch: l.epoch, batch: l.batch, loss: fmt(l.loss) });
      } else if (l.batch === l.batches || l.batch % Math.max(1, Math.ceil(l.batches / 4)) === 0) {
        line(
          `  ${l.stage} epoch ${l.epoch}/${epochs} batch ${l.batch}/${l.batches} loss ${fmt(l.loss)} (${l.images_per_s.toFixed(1)} img/s)`,
        );
      }
    },
    onEpochEnd(l) {
      line(
        `${l.stage} epoch ${l.epoch}/${l.epochs}: train_loss ${fmt(l.train_loss)} valid_loss ${fmt(l.valid_loss)} ` +
          `valid_accuracy ${pc.bold(fmt(l.valid_accuracy))} (${l.seconds.toFixed(1)} s)`,
      );
    },
    onStageEnd(l) {
      stopBar();
      if (l.stopped) line(`${l.stage}: stopped early — ${l.stopped}`);
    },
    close() {
      stopBar();
      multi?.stop();
    },
  };
}
