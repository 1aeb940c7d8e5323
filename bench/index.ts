/**
 * Run index bench (issue 18): `pnpm exec tsx bench/index.ts [--runs 10000] [--sweeps 100] [--trials 50]`.
 * 1. writes N realistic run folders in a temp dir (meta.json, config.yaml, events.jsonl with LR
 *    finder, batches and a few epochs, summary.json; half of them trials of M sweeps with trials.jsonl);
 * 2. the folder-read list without the index (the code path before it), in this process, cold and warm;
 * 3. `tessera index rebuild` in its own process; in this process a no-change full reconcile (what a
 *    server start and the 30 s background scan pay) and a first-page list after the quick check
 *    (what each Runs-page poll pays);
 * 4. starts the real dashboard (`startDashboard`, Next + tRPC) and times over HTTP: runs.list (first
 *    page, a name search, a status filter, a sort on best accuracy, one sweep's trials) and
 *    sweeps.list, each request 1.1 s after the previous so every one pays the quick check of the
 *    folders (as the Runs page's 2 s poll does); goal < 200 ms.
 * Prints JSON on stdout, progress on stderr.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FORMAT, RUN_FILES, type RunEvent, type RunMeta, type RunSummary } from "../shared/src";
import { RunIndex, rebuildRunIndex, startDashboard } from "../dashboard/serve";
import { listRunRows } from "../dashboard/src/server/store/runs";
import { syntheticEvents } from "../tests/e2e/synthetic";
import { FixtureSweep } from "../tests/e2e/sweep-fixture";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10000" },
    sweeps: { type: "string", default: "100" },
    trials: { type: "string", default: "50" },
    requests: { type: "string", default: "8" },
    /** Only write the store into this folder and stop (for profiling by hand). */
    "write-only": { type: "string" },
  },
});
const RUNS = Number(values.runs);
const SWEEPS = Number(values.sweeps);
const TRIALS = Number(values.trials);
const REQUESTS = Number(values.requests);
const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 10) / 10;
const classes = "ABCDE".split("");

/** One finished run folder written in one go (FixtureRun appends line by line: too slow for 10k). */
function writeRun(root: string, i: number, sweep: { id: string; trial: number } | null): string {
  const id = `2026${String(101 + Math.floor(i / 1440)).padStart(4, "0")}-${String(100000 + (i % 1440)).slice(1)}-bench-${i.toString(16).padStart(5, "0")}`;
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  const started = new Date(Date.UTC(2026, 0, 1) + i * 60_000);
  const lines: string[] = [];
  let last: Extract<RunEvent, { type: "epoch" }> | null = null;
  let seq = 0;
  for (const body of syntheticEvents(id, {
    classes,
    stages: [
      { name: "head", epochs: 2, steps: 4, lrFind: i % 10 === 0 },
      { name: "fine-tune", epochs: 2, steps: 4 },
    ],
    finalAccuracy: 0.7 + 0.29 * (((i * 37) % 100) / 100),
  })) {
    const event = {
      format: FORMAT,
      seq: seq++,
      time: new Date(started.getTime() + seq * 1000).toISOString(),
      attempt: 1,
      ...(sweep ? { sweep: sweep.id, trial: sweep.trial } : {}),
      ...body,
    } as RunEvent;
    if (event.type === "epoch") last = event;
    lines.push(JSON.stringify(event));
  }
  const summary: RunSummary = {
    format: FORMAT,
    classes,
    best: last ? { stage: last.stage, epoch: last.epoch, monitor: "valid.accuracy", value: last.valid_accuracy } : null,
    final: { valid_accuracy: last?.valid_accuracy ?? 0, valid_loss: last?.valid_loss ?? 0, train_loss: 0 },
    tta_accuracy: null,
    per_class: last?.per_class ?? [],
    confusion: last?.confusion ?? [],
    most_confused: [],
    folds: null,
    folds_mean: null,
    folds_std: null,
    seconds: seq,
  };
  lines.push(
    JSON.stringify({
      format: FORMAT,
      seq: seq++,
      time: started.toISOString(),
      attempt: 1,
      type: "run_finished",
      summary,
    }),
  );
  const meta: RunMeta = {
    format: FORMAT,
    id,
    name: `bench-${i % 50}`,
    config_hash: `h${(i % 200).toString(16).padStart(7, "0")}`,
    data_hash: "da7a0000",
    split_hash: null,
    seed: i,
    status: i % 97 === 0 ? "failed" : "finished",
    started: started.toISOString(),
    ended: new Date(started.getTime() + seq * 1000).toISOString(),
    backend: { name: "wasm", version: "4.22.0", threads: 2, device: null },
    versions: {},
    git_commit: null,
    host: `gpu-${i % 4}`,
    skipped_images: 0,
    attempt: 1,
    ...(sweep ? { sweep: sweep.id, trial: sweep.trial } : {}),
  };
  writeFileSync(join(dir, RUN_FILES.config), `name: ${meta.name}\nseed: ${i}\n`);
  writeFileSync(join(dir, RUN_FILES.meta), `${JSON.stringify(meta, null, 2)}\n`);
  writeFileSync(join(dir, RUN_FILES.events), `${lines.join("\n")}\n`);
  writeFileSync(join(dir, RUN_FILES.summary), JSON.stringify(summary));
  return id;
}

const scratch = values["write-only"] ?? mkdtempSync(join(tmpdir(), "tessera-bench-index-"));
const runsDir = join(scratch, "runs");
const sweepsDir = join(scratch, "sweeps");
const result: Record<string, unknown> = { runs: RUNS, sweeps: SWEEPS, trials_per_sweep: TRIALS };
try {
  log(`writing ${RUNS} runs (${SWEEPS} sweeps x ${TRIALS} trials among them)…`);
  let t = performance.now();
  const sweepIds = Array.from({ length: SWEEPS }, (_, s) => `20260101-${String(100000 + s).slice(1)}-sweep-${s}`);
  const sweeps = sweepIds.map((id) => new FixtureSweep(sweepsDir, id, TRIALS));
  for (let i = 0; i < RUNS; i++) {
    const s = i % 2 === 0 && i / 2 < SWEEPS * TRIALS ? i / 2 : -1;
    const tag = s >= 0 ? { id: sweepIds[s % SWEEPS]!, trial: Math.floor(s / SWEEPS) } : null;
    const id = writeRun(runsDir, i, tag);
    if (tag) sweeps[s % SWEEPS]!.trial(tag.trial, id, 0.7 + ((i * 13) % 29) / 100);
  }
  result.write_s = round((performance.now() - t) / 1000);
  if (values["write-only"]) {
    log(`wrote ${runsDir} and ${sweepsDir}`);
    process.exit(0);
  }

  // The folder-read list first, while nothing in this process has read an events.jsonl yet.
  const fileList: number[] = [];
  for (let k = 0; k < 3; k++) {
    t = performance.now();
    const rows = await listRunRows(runsDir);
    if (rows.length !== RUNS) throw new Error(`folder list has ${rows.length} rows, expected ${RUNS}`);
    fileList.push(performance.now() - t);
  }
  result.folder_list_ms = { cold: Math.round(fileList[0]!), warm: Math.round(median(fileList.slice(1))) };

  const { TESSERA_INDEX_FILE: _, ...withoutIndexFile } = process.env;
  // `tessera index rebuild` as a user runs it: its own process, nothing cached.
  t = performance.now();
  const cli = spawnSync(
    "pnpm",
    ["-s", "tessera", "index", "rebuild", "--runs", runsDir, "--sweeps-dir", sweepsDir, "--json"],
    { encoding: "utf8", env: withoutIndexFile },
  );
  if (cli.status !== 0) throw new Error(`tessera index rebuild failed: ${cli.stderr}`);
  const rebuilt = JSON.parse(cli.stdout) as { runs: number; sweeps: number; ms: number };
  result.rebuild_cli = { ms: Math.round(rebuilt.ms), process_wall_ms: Math.round(performance.now() - t) };
  log(`rebuild: ${rebuilt.runs} runs, ${rebuilt.sweeps} sweeps in ${Math.round(rebuilt.ms)} ms`);
  t = performance.now();
  rebuildRunIndex({ runsDir, sweepsDir, file: join(scratch, "warm.sqlite") });
  result.rebuild_in_process_warm_ms = Math.round(performance.now() - t);
  const index = RunIndex.open({ runsDir, sweepsDir });
  const reconciles: number[] = [];
  for (let k = 0; k < 5; k++) {
    t = performance.now();
    index.runs.reconcile(runsDir);
    index.sweeps.reconcile(sweepsDir);
    reconciles.push(performance.now() - t);
  }
  result.reconcile_no_change_ms = round(median(reconciles));
  const polls: number[] = [];
  for (let k = 0; k < 5; k++) {
    t = performance.now();
    index.listRuns({ sort: "started", dir: "desc", offset: 0, limit: 100 });
    polls.push(performance.now() - t);
    await sleep(1100);
  }
  index.close();
  result.list_with_quick_check_ms = round(median(polls));

  const dashboard = await startDashboard({ runsDir, sweepsDir, port: 0, log });
  try {
    const call = async (path: string, input?: unknown) => {
      const q = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
      const t0 = performance.now();
      const res = await fetch(`${dashboard.url}/api/trpc/${path}${q}`);
      const body = (await res.json()) as { result?: { data: unknown }; error?: unknown };
      const ms = performance.now() - t0;
      if (!res.ok || !body.result) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body.error)}`);
      return { ms, data: body.result.data };
    };
    const cases: [string, string, unknown, (d: unknown) => boolean][] = [
      ["runs.list first page", "runs.list", { limit: 100 }, (d) => (d as { total: number }).total === RUNS],
      ["runs.list name search", "runs.list", { q: "bench-7" }, (d) => (d as { total: number }).total > 0],
      ["runs.list status failed", "runs.list", { status: ["failed"] }, (d) => (d as { total: number }).total > 0],
      ["runs.list sort best acc", "runs.list", { sort: "bestAccuracy", dir: "desc" }, () => true],
      ["runs.list one sweep", "runs.list", { sweep: sweepIds[0] }, (d) => (d as { total: number }).total === TRIALS],
      ["sweeps.list", "sweeps.list", undefined, (d) => (d as unknown[]).length === SWEEPS],
    ];
    await call("runs.list", { limit: 100 }); // warm Next's route module
    const http: Record<string, { median_ms: number; max_ms: number }> = {};
    for (const [label, path, input, check] of cases) {
      const times: number[] = [];
      for (let k = 0; k < REQUESTS; k++) {
        await sleep(1100); // past the reconcile throttle: each request re-checks the folders
        const { ms, data } = await call(path, input);
        if (!check(data)) throw new Error(`${label}: unexpected answer ${JSON.stringify(data).slice(0, 200)}`);
        times.push(ms);
      }
      http[label] = { median_ms: round(median(times)), max_ms: round(Math.max(...times)) };
      log(`${label}: median ${http[label].median_ms} ms, max ${http[label].max_ms} ms`);
    }
    result.http = http;
  } finally {
    await dashboard.close();
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
