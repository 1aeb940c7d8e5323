/**
 * The live terminal view of `tessera run`: a cli-progress bar per stage (stage, epoch, batch, loss,
 * ETA) with one line per finished epoch above it; when stderr is not a TTY (CI, pipes), plain
 * lines instead: one per epoch and a few per epoch for batches. Before training, the backend, the
 * image check (every image is read and hashed: minutes on big data, so it gets a bar or a line
 * every 10%) and the run folder get a line each. An LR-finder sweep (minutes on big images) gets
 * its own bar (or a line every 10% of its steps), and its warning when the suggestions are not
 * to be trusted. Everything goes to stderr.
 */
import cliProgress from "cli-progress";
import { createColors } from "picocolors";
import type { RunEvent } from "@tessera/shared";
import type { LrFindStepLogs, SetupProgress, TrainHooks } from "../../train";

const fmt = (n: number, digits = 4) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
const lrText = (lrs: Record<string, number>) =>
  Object.entries(lrs)
    .map(([g, lr]) => `${g}=${lr.toExponential(1)}`)
    .join(" ");

/** The run command's progress: loop hooks plus the steps before training and the run's start. */
export interface RunProgress extends TrainHooks {
  onSetup(step: SetupProgress): void;
  onRunEvent(event: RunEvent): void;
  onLrFindStep(logs: LrFindStepLogs): void;
  /** Ends an LR-finder sweep's bar (`lr-find` calls it after each seed; `run` gets `onLrFind`). */
  endLrFind(): void;
  close(): void;
}

/** Progress hooks writing to `stream` (default stderr); `close()` stops the bar. */
export function progressHooks(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): RunProgress {
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
  /** Without a TTY: a line at most every 5 s while images are read, so a fast load prints none. */
  let dataLineAt: number | null = null;
  let lrFindBar = false;
  return {
    onSetup(step) {
      if (step.kind === "backend") {
        line(`backend ${step.name}${step.threads === null ? "" : ` (${step.threads} threads)`}`);
      } else if (step.kind === "note") {
        line(step.text);
      } else if (step.kind === "data") {
        if (multi) {
          if (!bar)
            bar = multi.create(
              step.total,
              0,
              {},
              {
                format: `reading and checking images [{bar}] {value}/{total} | ETA {eta_formatted}`,
              },
            );
          bar.update(step.done);
          return;
        }
        dataLineAt ??= now();
        if (now() - dataLineAt >= 5000) {
          dataLineAt = now();
          line(`reading and checking images: ${step.done}/${step.total}`);
        }
      } else {
        stopBar();
        const skipped = step.skipped > 0 ? `, ${step.skipped} skipped` : "";
        line(`data: ${step.images} images, ${step.classes} classes${skipped} (${step.seconds.toFixed(1)} s)`);
      }
    },
    onRunEvent(event) {
      if (event.type === "run_started") line(`run ${event.run_id} started (seed ${event.seed})`);
      if (event.type === "run_resumed") line(`run resumed (attempt ${event.attempt})`);
    },
    onLrFindStep(l) {
      if (multi) {
        if (!lrFindBar) {
          stopBar();
          bar = multi.create(
            l.steps,
            0,
            { stage: l.stage, lr: "-", loss: "-" },
            {
              format: `{stage} ${pc.dim("LR finder")} [{bar}] {value}/{total} lr {lr} loss {loss} | ETA {eta_formatted}`,
            },
          );
          lrFindBar = true;
        }
        bar?.update(l.step, { lr: l.lr.toExponential(1), loss: fmt(l.smoothed) });
      } else if (l.step === 1 || l.step === l.steps || l.step % Math.max(1, Math.ceil(l.steps / 10)) === 0) {
        line(`  ${l.stage} LR finder step ${l.step}/${l.steps} lr ${l.lr.toExponential(1)} loss ${fmt(l.smoothed)}`);
      }
    },
    endLrFind() {
      if (lrFindBar) stopBar();
      lrFindBar = false;
    },
    onLrFind(l) {
      this.endLrFind();
      const s = Object.entries(l.suggestions)
        .map(([rule, lr]) => `${rule} ${lr.toExponential(2)}`)
        .join(", ");
      line(
        `${pc.cyan(l.stage)} LR finder (${l.points.length} steps): ${s}; using ${l.chosen.rule} ${l.chosen.lr.toExponential(2)}`,
      );
      if (l.warning) line(pc.yellow(`warning: ${l.warning}`));
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
