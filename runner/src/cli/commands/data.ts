/** `tessera data preview|cache|fetch`: flags to options, then the data API. */
import { writeFile } from "node:fs/promises";
import { existsSync, statSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import cliProgress from "cli-progress";
import pc from "picocolors";
import { loadConfig } from "../../config";
import { ExitError, UsageError } from "../../errors";
// Direct module imports, not the data barrel: `cache` and `fetch` must not load TensorFlow.js.
import { cacheStats, clearCache, defaultCacheDir } from "../../data/cache";
import { fetchDataset } from "../../data/fetch/datasets";
import { loadDataset } from "../../data/load";
import { displayPath } from "../../data/sources/walk";

const say = (line: string) => process.stderr.write(`${line}\n`);

/** A progress bar on stderr when it is a terminal; nothing otherwise (CI logs stay readable). */
function progress(label: string, unit = "images") {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} ${unit}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done: number, total: number | null) {
      if (!started) bar.start(total ?? 0, 0);
      started = true;
      if (total) bar.setTotal(total);
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

/**
 * `--out` must name a PNG file: `--out configs/x.yaml` silently replaced the config with an image,
 * and a folder failed only after all the data had loaded.
 */
function checkPreviewOut(out: string): void {
  if (existsSync(out) && statSync(out).isDirectory())
    throw new UsageError(`--out ${out}: is a folder; name the PNG file to write, e.g. ${join(out, "preview.png")}`);
  if (extname(out).toLowerCase() !== ".png")
    throw new UsageError(`--out ${out}: expected a .png file name (the preview is a PNG image)`);
}

/** `tessera data preview`: a PNG grid of augmented training samples with their labels. */
export async function dataPreviewCommand(
  configFile: string,
  opts: { out: string; set: string[]; stage?: string; count: string },
): Promise<void> {
  const count = Number(opts.count);
  if (!Number.isInteger(count) || count < 1 || count > 256)
    throw new UsageError(`--count: expected 1..256, received '${opts.count}'`);
  checkPreviewOut(opts.out);
  const loaded = await loadConfig(configFile, { set: opts.set });
  const { config } = loaded;
  const stage = opts.stage ? config.train.stages.find((s) => s.name === opts.stage) : config.train.stages[0];
  if (!stage) {
    throw new UsageError(
      `--stage: no stage '${opts.stage}'; stages are ${config.train.stages.map((s) => `'${s.name}'`).join(", ")}`,
    );
  }
  const bar = progress("reading");
  const dataset = await loadDataset(config.data, {
    seed: config.seed,
    baseDir: dirname(loaded.file),
    onProgress: bar.update,
    onWarning: (message) => say(pc.yellow(message)),
  });
  bar.stop();
  // Pick a backend first: tfjs's cpu backend prints an "install tfjs-node" banner on first use.
  const { selectBackend } = await import("../../backend");
  await selectBackend("wasm").catch(() => selectBackend("cpu"));
  const { renderPreview } = await import("../../data/preview");
  const png = await renderPreview(config, dataset, { count, size: stage.size, seed: config.seed });
  await writeFile(opts.out, png);
  say(
    `wrote ${opts.out}: ${Math.min(count, dataset.folds[0]?.train.length ?? 0)} augmented training samples at ${stage.size} px (stage '${stage.name}'), ${dataset.classes.length} classes, ${dataset.items.length} images`,
  );
}

export async function dataCacheCommand(opts: { clear?: boolean; json?: boolean }): Promise<void> {
  const dir = defaultCacheDir();
  const before = await cacheStats(dir);
  if (opts.clear) await clearCache(dir);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ...before, cleared: Boolean(opts.clear) })}\n`);
    return;
  }
  const mb = (before.bytes / 1024 / 1024).toFixed(1);
  say(
    opts.clear
      ? `cleared ${displayPath(before.dir)}: ${before.files} tiles, ${mb} MB`
      : `${displayPath(before.dir)}: ${before.files} tiles, ${mb} MB (env TESSERA_CACHE_DIR moves it)`,
  );
}

export async function dataFetchCommand(name: string, opts: { to?: string; url?: string }): Promise<void> {
  const bar = progress("downloading", "bytes");
  const outcome = await fetchDataset(name, { ...opts, onProgress: bar.update }).finally(() => bar.stop());
  const where = displayPath(outcome.dir);
  switch (outcome.status) {
    case "present":
      say(`${name}: ${outcome.images} of ${outcome.expected} images found in ${where}; nothing to fetch`);
      return;
    case "downloaded":
      say(
        `${name}: downloaded ${outcome.download.bytes} bytes (sha256 ${outcome.download.sha256}${outcome.download.resumedFrom ? `, resumed at ${outcome.download.resumedFrom}` : ""}); ${outcome.images} of ${outcome.expected} images in ${where}`,
      );
      if (!outcome.download.verified) {
        say(
          pc.yellow(
            `warning: not verified; pass the URL with #sha256=${outcome.download.sha256} to check it next time`,
          ),
        );
      }
      return;
    case "manual":
      say(outcome.instructions);
      throw new ExitError(`${name}: not downloaded; follow the steps above (no images in ${where} yet)`, 1);
  }
}
