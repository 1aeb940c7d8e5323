/** `tessera show <run> [--json]`: one run's meta, stages, epochs, checkpoints and final metrics. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ACTIVATION_CACHE_FILE, type ActivationCacheRecord } from "../../train/activation-cache/record";
import { describeRun, type RunDescription } from "@tessera/shared/runstore";
import { readRun, resolveRunRef, runsDirFrom } from "../../runs";
import { MISSING } from "@tessera/shared";
import { num, pct, printJson, say, table } from "../../runs/cli-text";

export interface ShowOptions {
  runsDir?: string;
  json?: boolean;
}

/** Shows a run by id or folder; `--json` prints the RunDescription on stdout. */
export async function showCommand(ref: string, opts: ShowOptions = {}): Promise<void> {
  const dir = resolveRunRef(ref, runsDirFrom(opts.runsDir));
  const description = describeRun(await readRun(dir));
  const cacheFile = join(dir, ACTIVATION_CACHE_FILE);
  const activationCache = existsSync(cacheFile)
    ? (JSON.parse(readFileSync(cacheFile, "utf8")) as ActivationCacheRecord[])
    : [];
  if (opts.json) printJson({ ...description, activation_cache: activationCache });
  else say(renderRun(description, activationCache));
}

/** The human form of `show`. */
export function renderRun(d: RunDescription, activationCache: ActivationCacheRecord[] = []): string {
  const m = d.meta;
  const lines = [
    `${m.id}  ${m.status}${m.attempt > 1 ? ` (attempt ${m.attempt})` : ""}`,
    `  folder   ${d.dir}`,
    `  config   ${m.name}  hash ${m.config_hash}  seed ${m.seed}`,
    `  data     hash ${m.data_hash ?? MISSING}  split ${m.split_hash ?? MISSING}  skipped images ${m.skipped_images}`,
    `  backend  ${m.backend ? `${m.backend.name} ${m.backend.version}${m.backend.threads ? ` (${m.backend.threads} threads)` : ""}` : MISSING}`,
    `  time     ${m.started} -> ${m.ended ?? "(not ended)"}`,
    `  git      ${m.git_commit ?? MISSING}  host ${m.host}`,
  ];
  if (d.stages.length) {
    lines.push("", "Stages");
    lines.push(
      indent(
        table(
          ["#", "STAGE", "FOLD", "SIZE", "EPOCHS", "TRAINABLE", "SCHEDULE", "BEST"],
          d.stages.map((s) => [
            s.index,
            s.name,
            s.fold ?? MISSING,
            s.size,
            s.epochs,
            s.trainable.join(","),
            s.schedule.name,
            s.best ? `${num(s.best.value)} @ epoch ${s.best.epoch}` : MISSING,
          ]),
        ),
      ),
    );
  }
  if (d.epochs.length) {
    lines.push("", "Epochs");
    lines.push(
      indent(
        table(
          ["STAGE", "EPOCH", "TRAIN LOSS", "VALID LOSS", "VALID ACC", "SECONDS"],
          d.epochs.map((e) => [
            e.fold === null ? e.stage : `${e.stage}/${e.fold}`,
            e.epoch,
            num(e.train_loss),
            num(e.valid_loss),
            pct(e.valid_accuracy),
            num(e.seconds, 1),
          ]),
        ),
      ),
    );
  }
  for (const c of activationCache) {
    lines.push(
      `  activation cache: stage ${c.stage}${c.fold === null ? "" : ` fold ${c.fold}`} trained on [${c.cached_groups.join(",")}] ` +
        `outputs (${c.cut_layer}${c.pooled ? ", pooled" : ""}), ${c.items} images x ${c.views} views: ` +
        `${c.filled_rows}/${c.rows} rows computed${c.reused_rows ? `, ${c.reused_rows} reused` : ""}, ` +
        `${(c.bytes / 2 ** 20).toFixed(1)} MiB in ${c.storage}, ${c.seconds.toFixed(1)} s of prefix passes` +
        (c.engine ? ` on ${c.engine}` : ""),
    );
    if (c.engine_fallback) lines.push(`    ${c.engine_fallback}`);
  }
  for (const r of d.resumes) lines.push(`  resumed (attempt ${r.attempt}) from ${r.from.stage} epoch ${r.from.epoch}`);
  for (const i of d.interruptions) lines.push(`  interrupted in ${i.stage} epoch ${i.epoch} step ${i.step}`);
  if (d.error) lines.push(`  failed: ${d.error}`);
  const s = d.summary;
  if (s) {
    lines.push("", `Final  valid accuracy ${pct(s.final.valid_accuracy)}  valid loss ${num(s.final.valid_loss)}`);
    if (s.best) lines.push(`Best   ${s.best.monitor} ${num(s.best.value)} (${s.best.stage} epoch ${s.best.epoch})`);
    if (s.tta_accuracy !== null) lines.push(`TTA    ${pct(s.tta_accuracy)}`);
    if (s.folds_mean !== null) lines.push(`Folds  ${pct(s.folds_mean)} ± ${pct(s.folds_std)}`);
    if (s.folds_tta_mean != null) lines.push(`Folds TTA  ${pct(s.folds_tta_mean)} ± ${pct(s.folds_tta_std ?? null)}`);
    const confused = s.most_confused.slice(0, 5).map((c) => `${c.actual}->${c.predicted} x${c.count}`);
    if (confused.length) lines.push(`Most confused  ${confused.join("  ")}`);
  }
  return lines.join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}
