/**
 * A sweep against the same trials run one after another. Full mode (for a quiet machine): an
 * 8-trial random sweep of the head stage's LR on the Kimia Path960 tiles with ImageNet ResNet50 at
 * 128 px (the frozen body is computed once for the sweep and shared on disk), against the same 8
 * configs as 8 sequential `tessera run`s; prints the wall-time ratio and each trial's accuracy in
 * both (difference in validation images). Then ASHA on the same draws: epochs spent until the best
 * objective random search found is reached (the trials.jsonl order is the time order).
 * `--tiny` runs the same comparison on a synthetic 32 px config in about two minutes, to check the
 * bench works; its numbers say nothing about Kimia.
 *
 * To fit a shared machine: `--tiles N` uses the first N tiles of each class (symlinks in a temp
 * folder, nothing copied), `--views 1` turns the dihedral augmentation off (one prefix row per
 * image instead of up to min(epochs, 8)), `--no-asha` skips the ASHA part. Every trial's phases
 * (bench/sweep-profile.ts) and the shared rows each one computed or read are printed too.
 *
 *   pnpm exec tsx bench/sweep.ts [--tiny] [--trials 8] [--parallel 2] [--epochs 4] [--tiles 30] [--views 8] [--no-asha]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { foldTrials, type TrialRecord } from "../shared/src";
import { planSweep } from "../runner/src/sweep/plan";
import { listSweepIds, readTrialRecords, sweepDir } from "../runner/src/sweep/store";
import { PROFILE_HEADER, profileLine, profileRun, type TrialProfile } from "./sweep-profile";

/** The machine's 1-minute load average before the bench starts anything (printed with the result). */
const loadAtStart = loadavg()[0]!;
const { values: o } = parseArgs({
  options: {
    tiny: { type: "boolean", default: false },
    trials: { type: "string" },
    parallel: { type: "string", default: "2" },
    epochs: { type: "string" },
    tiles: { type: "string" },
    views: { type: "string", default: "8" },
    "no-asha": { type: "boolean", default: false },
  },
});
const root = join(import.meta.dirname, "..");
// The sweep files are written to a temp folder and extend configs/: allow that folder as a base.
process.env.TESSERA_CONFIG_ROOTS = [join(root, "configs"), process.env.TESSERA_CONFIG_ROOTS].filter(Boolean).join(":");
const work = mkdtempSync(join(tmpdir(), "tessera-bench-sweep-"));
const trials = Number(o.trials ?? (o.tiny ? 4 : 8));
const epochs = Number(o.epochs ?? (o.tiny ? 3 : 4));
const kimia = join(root, "../shared/data/kimia-path960");
/** The first `n` tiles of every Kimia class, as symlinks in the temp folder (nothing is copied). */
const tileSubset = (n: number): string => {
  const dir = join(work, "tiles");
  for (const cls of readdirSync(kimia).filter((c) => statSync(join(kimia, c)).isDirectory())) {
    mkdirSync(join(dir, cls), { recursive: true });
    for (const f of readdirSync(join(kimia, cls)).sort().slice(0, n))
      symlinkSync(join(kimia, cls, f), join(dir, cls, f));
  }
  return dir;
};
const dataPath = o.tiles ? tileSubset(Number(o.tiles)) : kimia;
const base = o.tiny
  ? readFileSync(join(root, "tests/fixtures/sweeps/tiny-grid.yaml"), "utf8").replace(/sweep:[\s\S]*$/, "")
  : `extends: ${join(root, "configs/kimia960-resnet50.yaml")}\nname: bench-sweep\ntta: false\n` +
    `data:\n  path: ${dataPath}\n  augment: { dihedral: ${o.views !== "1"} }\n`;
const stage = o.tiny
  ? `train:\n  batch_size: 8\n  stages:\n    - { name: head, trainable: [head], train_bn: false, size: 32, epochs: ${epochs}, lr: 1e-2 }\n`
  : `train:\n  batch_size: 32\n  stages:\n    - { name: head, trainable: [head], train_bn: false, size: 128, epochs: ${epochs}, lr: 1e-3, schedule: one_cycle }\n`;
const sweepOf = (method: string) =>
  `${base.replace(/^train:\n(?:[ \t].*\n?)*/m, "")}${stage}sweep:\n  method: ${method}\n  trials: ${trials}\n  parallel: ${o.parallel}\n  seed: 7\n` +
  `  parameters:\n    train.stages[head].lr: { log_uniform: [1e-4, 1e-2] }\n` +
  (method === "asha" ? `  asha: { min: 1, reduction: 2 }\n` : "");
const BIN = join(root, "runner/bin/tessera.js");
const tessera = (args: string[]) => {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`tessera ${args.join(" ")} failed:\n${String(r.stderr).slice(-2000)}`);
  return { seconds: (Date.now() - t0) / 1000, t0, t1: Date.now() };
};
const records = (sweeps: string): TrialRecord[] => readTrialRecords(sweepDir(sweeps, listSweepIds(sweeps)[0]!));

const randomFile = join(work, "random.yaml");
writeFileSync(randomFile, sweepOf("random"));
const plan = await planSweep(randomFile);
const startup = tessera(["--help"]).seconds; // node + tsx + the CLI's imports, nothing else
const sweepSeconds = tessera([
  "sweep",
  randomFile,
  "--runs-dir",
  join(work, "a/runs"),
  "--sweeps-dir",
  join(work, "a/sweeps"),
]).seconds;
const sweepRecords = records(join(work, "a/sweeps"));
const swept = foldTrials(sweepRecords);
const sweptProfiles = swept.trials.map((t) => {
  const time = (type: string) =>
    Date.parse(sweepRecords.find((r) => r.type === type && "trial" in r && r.trial === t.trial)!.time);
  return profileRun(join(work, "a/runs", t.run_id), time("trial_started"), time("trial_finished"));
});
let sequentialSeconds = 0;
const sequential: number[] = [];
const sequentialProfiles: TrialProfile[] = [];
let validImages: number | null = null;
for (const t of plan.trials) {
  const runsDir = join(work, `b/${t.trial}`);
  const sets = Object.entries(t.params).flatMap(([p, v]) => ["--set", `${p}=${JSON.stringify(v)}`]);
  const ran = tessera(["run", randomFile, ...sets, "--runs-dir", runsDir, "--json"]);
  sequentialSeconds += ran.seconds;
  const id = readdirSync(runsDir)[0]!;
  const events = readFileSync(join(runsDir, id, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  sequential.push(events.filter((e) => e.type === "epoch").at(-1).valid_accuracy);
  sequentialProfiles.push(profileRun(join(runsDir, id), ran.t0, ran.t1));
  const summary = JSON.parse(readFileSync(join(runsDir, id, "summary.json"), "utf8")) as {
    per_class: { support: number }[];
  };
  validImages = summary.per_class.reduce((n, c) => n + c.support, 0);
}
console.log(
  `${o.tiny ? "TINY (synthetic, not Kimia)" : `Kimia ResNet50 128 px, ${o.tiles ?? 30} tiles/class, ${o.views === "1" ? "no dihedral views" : "dihedral views"}`}: ` +
    `${trials} trials x ${epochs} epochs, parallel ${o.parallel}, ${cpus().length} cores, load average ${loadAtStart.toFixed(2)} at start`,
);
console.log(
  `sweep ${sweepSeconds.toFixed(1)} s vs sequential tessera run ${sequentialSeconds.toFixed(1)} s: ${(sequentialSeconds / sweepSeconds).toFixed(2)}x`,
);
for (const t of swept.trials) {
  const diff = Math.abs((t.objective ?? NaN) - sequential[t.trial]!);
  console.log(
    `  trial ${t.trial} lr ${String(t.params["train.stages[head].lr"])}: sweep ${t.objective?.toFixed(4)} sequential ${sequential[t.trial]!.toFixed(4)}${validImages ? ` (${Math.round(diff * validImages)} images apart)` : ""}`,
  );
}

// Where the time goes, and whether the sweep really shared the prefix rows.
console.log(`phases (s; process start alone, \`tessera --help\`: ${startup.toFixed(1)} s)`);
console.log(PROFILE_HEADER);
swept.trials.forEach((t, i) => console.log(profileLine(`sweep t${t.trial}`, sweptProfiles[i]!)));
sequentialProfiles.forEach((p, i) => console.log(profileLine(`sequential ${i}`, p)));
const sum = (ps: TrialProfile[], k: keyof TrialProfile) => ps.reduce((n, p) => n + p[k], 0);
for (const [name, ps] of [
  ["sweep", sweptProfiles],
  ["sequential", sequentialProfiles],
] as const)
  console.log(
    `  ${name} totals: start ${sum(ps, "start").toFixed(0)} s, model ${sum(ps, "model").toFixed(0)} s, prefix ${sum(ps, "prefix").toFixed(0)} s, ` +
      `epochs ${sum(ps, "epochs").toFixed(0)} s; rows filled ${sum(ps, "filledRows")}, reused ${sum(ps, "reusedRows")}`,
  );
const shareRoot = join(sweepDir(join(work, "a/sweeps"), listSweepIds(join(work, "a/sweeps"))[0]!), "activations");
const entries = readdirSync(shareRoot);
console.log(
  `share dir: ${entries.length} entr${entries.length === 1 ? "y" : "ies"}, ` +
    entries
      .map((e) => `${readdirSync(join(shareRoot, e)).filter((f) => f.endsWith(".f32")).length} row files`)
      .join(", "),
);
if (o["no-asha"]) process.exit(0);

// ASHA on the same draws: epochs spent until random search's best objective is reached.
const ashaFile = join(work, "asha.yaml");
writeFileSync(ashaFile, sweepOf("asha"));
tessera(["sweep", ashaFile, "--runs-dir", join(work, "c/runs"), "--sweeps-dir", join(work, "c/sweeps")]);
const target = Math.max(...swept.trials.map((t) => t.objective ?? -Infinity));
const spentUntil = (recs: TrialRecord[]) => {
  const trained = new Map<number, number>();
  for (const r of recs) {
    if (r.type !== "rung_reached" && r.type !== "trial_finished") continue;
    const value = r.type === "rung_reached" ? r.value : r.objective;
    trained.set(r.trial, r.epochs);
    if (value !== null && value >= target) return [...trained.values()].reduce((a, b) => a + b, 0);
  }
  return null;
};
const ashaState = foldTrials(records(join(work, "c/sweeps")));
const ashaSpent = spentUntil(records(join(work, "c/sweeps")));
const ashaBest = Math.max(...ashaState.trials.map((t) => t.objective ?? -Infinity));
console.log(
  `random: best ${target.toFixed(4)} after ${spentUntil(records(join(work, "a/sweeps")))} epochs (${trials * epochs} in all)`,
);
console.log(
  `asha:   ${ashaSpent === null ? "never reached it" : `reached it after ${ashaSpent} epochs`}, best ${ashaBest.toFixed(4)} (${ashaState.trials.reduce((n, t) => n + t.epochs, 0)} epochs in all)`,
);
