/**
 * Sweeps end to end through the real CLI: a 2x2 grid and an 8-trial ASHA sweep over a tiny
 * synthetic config (trials are `tessera run` child processes), checked through their sweep folders,
 * run folders and events; and a random sweep whose driving process is SIGKILLed mid-trial, then
 * `tessera sweep --resume`d: every trial ends exactly once, nothing drawn twice, and the trial that
 * was cut off continues from its resume point instead of starting over.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  drawTrial,
  foldTrials,
  gridTrials,
  rungTop,
  RUN_FILES,
  SWEEP_FILES,
  type RunEvent,
  type RunMeta,
  type TrialRecord,
} from "@tessera/shared";
import { dropSuperseded, readEvents } from "../runner/src/runs";
import { REPO_ROOT } from "./helpers/paths";

const BIN = join(REPO_ROOT, "runner/bin/tessera.js");
const FIXTURES = join(REPO_ROOT, "tests/fixtures/sweeps");

function tessera(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  child.stdout.on("data", (d) => (stdout += String(d)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>(
    (resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stderr, stdout })),
  );
  return { child, exit };
}

function dirs(work: string) {
  return { runs: join(work, "runs"), sweeps: join(work, "sweeps") };
}

function onlySweep(sweepsDir: string): string {
  const ids = readdirSync(sweepsDir);
  expect(ids).toHaveLength(1);
  return join(sweepsDir, ids[0]!);
}

const records = (dir: string): TrialRecord[] =>
  readFileSync(join(dir, SWEEP_FILES.trials), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as TrialRecord);

const meta = (dir: string) => JSON.parse(readFileSync(join(dir, RUN_FILES.meta), "utf8")) as RunMeta;
const epochEvents = (dir: string) => dropSuperseded(readEvents(dir, () => undefined)).filter((e) => e.type === "epoch");

/** Every event of a trial's run carries the sweep id and the trial index. */
function expectTagged(events: RunEvent[], sweepId: string, trial: number) {
  expect(events.length).toBeGreaterThan(0);
  for (const e of events) expect([e.sweep, e.trial]).toEqual([sweepId, trial]);
}

describe("tessera sweep", () => {
  it("runs a 2x2 grid: four ordinary run folders tagged with the sweep, a table and the best trial", async () => {
    const work = mkdtempSync(join(tmpdir(), "tessera-sweep-grid-"));
    const d = dirs(work);
    const { code, stderr } = await tessera([
      "sweep",
      join(FIXTURES, "tiny-grid.yaml"),
      "--runs-dir",
      d.runs,
      "--sweeps-dir",
      d.sweeps,
    ]).exit;
    expect(code, stderr).toBe(0);
    const dir = onlySweep(d.sweeps);
    const id = dir.split("/").at(-1)!;
    expect(readFileSync(join(dir, SWEEP_FILES.spec), "utf8")).toBe(
      readFileSync(join(FIXTURES, "tiny-grid.yaml"), "utf8"),
    );
    const recs = records(dir);
    expect(recs.map((r) => r.seq)).toEqual(recs.map((_, i) => i));
    const started = recs.filter((r) => r.type === "trial_started");
    const expected = gridTrials({
      "train.stages[head].lr": { values: [1e-3, 1e-2] },
      "model.head.dropout": { values: [0.1, 0.5] },
    });
    expect(started.map((r) => r.params).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [...expected].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    const state = foldTrials(recs);
    expect(state.status).toBe("finished");
    expect(state.trials.map((t) => t.status)).toEqual(["finished", "finished", "finished", "finished"]);
    const hashes = new Set<string>();
    for (const t of state.trials) {
      const run = join(d.runs, t.run_id);
      const m = meta(run);
      expect([m.status, m.sweep, m.trial, m.config_hash]).toEqual(["finished", id, t.trial, t.config_hash]);
      hashes.add(m.config_hash);
      expectTagged(
        readEvents(run, () => undefined),
        id,
        t.trial,
      );
      // The trial's parameters are in the config that ran.
      const config = readFileSync(join(run, RUN_FILES.config), "utf8");
      expect(config).toContain(`dropout: ${t.params["model.head.dropout"]}`);
      expect(epochEvents(run)).toHaveLength(3);
      expect(t.objective).toBe(
        epochEvents(run).at(-1)!.type === "epoch"
          ? (epochEvents(run).at(-1) as { valid_accuracy: number }).valid_accuracy
          : NaN,
      );
    }
    expect(hashes.size).toBe(4);
    // The head stage freezes the same seeded prefix in every trial: the rows it touches (16 train
    // images in two whole batches of 8, and 6 valid; one view) are computed once for the whole sweep,
    // by whichever trial got to each first.
    const cacheRecords = state.trials.flatMap(
      (t) =>
        JSON.parse(readFileSync(join(d.runs, t.run_id, "activation_cache.json"), "utf8")) as {
          stage: string;
          filled_rows: number;
          reused_rows: number;
        }[],
    );
    const head = cacheRecords.filter((r) => r.stage === "head");
    expect(head).toHaveLength(4);
    for (const r of head) expect(r.filled_rows + r.reused_rows).toBe(22);
    expect(head.reduce((n, r) => n + r.filled_rows, 0)).toBe(22);
    const summary = JSON.parse(readFileSync(join(dir, SWEEP_FILES.summary), "utf8"));
    const best = Math.max(...state.trials.map((t) => t.objective!));
    expect(summary.best.objective).toBe(best);
    expect(summary.trials.map((t: { objective: number }) => t.objective)).toEqual(
      state.trials.map((t) => t.objective!).sort((a, b) => b - a),
    );
    // tessera report <sweep>: the table best first, charts with a line/dot per trial, the best config's diff.
    const report = await tessera(["report", id, "--sweeps-dir", d.sweeps]).exit;
    expect(report.code, report.stderr).toBe(0);
    const md = readFileSync(join(dir, "report.md"), "utf8");
    const bestRow = state.trials.find((t) => t.trial === state.best)!;
    expect(md).toContain(`| ${bestRow.trial} (best) | finished | ${bestRow.objective!.toFixed(4)} |`);
    expect(md).toContain(`model.head.dropout: 0.2 → ${bestRow.params["model.head.dropout"]}`);
    const pcp = readFileSync(join(dir, "charts", "parallel.svg"), "utf8");
    expect(pcp.match(/<polyline/g)).toHaveLength(4);
    expect(
      readFileSync(join(dir, "charts", "objective-model.head.dropout.svg"), "utf8").match(/<circle/g),
    ).toHaveLength(4);
    // sweep ls / show read it back.
    const shown = await tessera(["sweep", "show", id, "--sweeps-dir", d.sweeps, "--json"]).exit;
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout).state.trials).toHaveLength(4);
    const listed = await tessera(["sweep", "ls", "--sweeps-dir", d.sweeps, "--json"]).exit;
    expect(JSON.parse(listed.stdout).sweeps.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([
      [id, "finished"],
    ]);
  });

  it("runs ASHA over 8 trials: the top 1/3 of rung 0 is promoted and continued, the rest end stopped_early", async () => {
    const work = mkdtempSync(join(tmpdir(), "tessera-sweep-asha-"));
    const d = dirs(work);
    const { code, stderr } = await tessera([
      "sweep",
      join(FIXTURES, "tiny-asha.yaml"),
      "--runs-dir",
      d.runs,
      "--sweeps-dir",
      d.sweeps,
    ]).exit;
    expect(code, stderr).toBe(0);
    const dir = onlySweep(d.sweeps);
    const recs = records(dir);
    const state = foldTrials(recs);
    expect(state.rungs).toEqual([1, 3]);
    expect(state.trials).toHaveLength(8);
    // ⌊8/3⌋ = 2 trials reach the top rung; the other 6 stop after 1 epoch.
    expect(state.trials.filter((t) => t.status === "finished")).toHaveLength(2);
    expect(state.trials.filter((t) => t.status === "stopped_early")).toHaveLength(6);
    // Every promotion obeyed the rule on the rung table as it was at that moment.
    recs.forEach((r, i) => {
      if (r.type !== "trial_resumed") return;
      expect(r.reason).toBe("promoted");
      const table = recs
        .slice(0, i)
        .flatMap((x) => (x.type === "rung_reached" ? [{ trial: x.trial, rung: x.rung, value: x.value ?? NaN }] : []));
      expect(rungTop(table, 0, { reduction: 3, mode: "max" }).map((x) => x.trial)).toContain(r.trial);
    });
    for (const t of state.trials) {
      const run = join(d.runs, t.run_id);
      const events = readEvents(run, () => undefined);
      expectTagged(events, state.id!, t.trial);
      if (t.status === "stopped_early") {
        expect(meta(run).status).toBe("stopped_early");
        expect(events.at(-1)!.type).toBe("run_stopped_early");
        expect(epochEvents(run)).toHaveLength(1);
        // The checkpoint a promotion would continue from is kept.
        expect(existsSync(join(run, RUN_FILES.checkpoints, "resume"))).toBe(true);
      } else {
        expect(meta(run).status).toBe("finished");
        expect(events.some((e) => e.type === "run_resumed")).toBe(true);
        expect(epochEvents(run)).toHaveLength(3); // one per epoch: the promotion continued, not restarted
      }
    }
    const summary = JSON.parse(readFileSync(join(dir, SWEEP_FILES.summary), "utf8"));
    expect(summary.epochs_trained).toBe(6 * 1 + 2 * 3);
  });

  it("resumes after a SIGKILL of the sweep process mid-trial: every trial once, no draw repeated", async () => {
    const work = mkdtempSync(join(tmpdir(), "tessera-sweep-kill-"));
    const d = dirs(work);
    const file = join(work, "random.yaml");
    const parameters = { "train.stages[head].lr": { log_uniform: [1e-4, 1e-1] as [number, number] } };
    writeFileSync(
      file,
      readFileSync(join(FIXTURES, "tiny-grid.yaml"), "utf8")
        // Longer trials (7 epochs), so the kill lands well before a trial's end even on a fast machine.
        .replace("size: 32, epochs: 2,", "size: 32, epochs: 6,")
        .replace(
          /sweep:[\s\S]*$/,
          "sweep:\n  method: random\n  trials: 4\n  parallel: 2\n  seed: 11\n  parameters:\n    train.stages[head].lr: { log_uniform: [1e-4, 1e-1] }\n",
        ),
    );
    const first = tessera(["sweep", file, "--runs-dir", d.runs, "--sweeps-dir", d.sweeps]);
    // Kill the sweep once a trial has finished and another has trained at least a batch.
    let dir: string | null = null;
    for (let i = 0; i < 3000; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (!dir && existsSync(d.sweeps) && readdirSync(d.sweeps).length === 1) dir = onlySweep(d.sweeps);
      if (!dir || !existsSync(join(dir, SWEEP_FILES.trials))) continue;
      const state = foldTrials(records(dir));
      const busy = state.trials.filter((t) => t.status === "running");
      const midTrial = busy.some((t) => {
        const events = join(d.runs, t.run_id, RUN_FILES.events);
        const text = existsSync(events) ? readFileSync(events, "utf8") : "";
        return text.includes('"type":"batch"') && (text.match(/"type":"epoch"/g) ?? []).length < 3;
      });
      if (state.trials.some((t) => t.status === "finished") && midTrial) break;
    }
    first.child.kill("SIGKILL");
    expect((await first.exit).signal).toBe("SIGKILL");
    const cut = foldTrials(records(dir!));
    const interrupted = cut.trials.filter((t) => t.status === "running").map((t) => t.trial);
    expect(interrupted.length).toBeGreaterThan(0);

    const again = await tessera(["sweep", "--resume", dir!.split("/").at(-1)!, "--sweeps-dir", d.sweeps]).exit;
    expect(again.code, again.stderr).toBe(0);
    const recs = records(dir!);
    const state = foldTrials(recs);
    expect(state.status).toBe("finished");
    const starts = recs.filter((r) => r.type === "trial_started");
    expect(starts.map((r) => r.trial)).toEqual([0, 1, 2, 3]);
    // The draws are the seeded ones, none repeated.
    expect(starts.map((r) => r.params)).toEqual([0, 1, 2, 3].map((i) => drawTrial(parameters, 11, i)));
    expect(new Set(starts.map((r) => JSON.stringify(r.params))).size).toBe(4);
    const finishes = recs.filter((r) => r.type === "trial_finished").map((r) => r.trial);
    expect([...finishes].sort()).toEqual([0, 1, 2, 3]);
    expect(readdirSync(d.runs).sort()).toEqual(state.trials.map((t) => t.run_id).sort());
    for (const t of state.trials) {
      const run = join(d.runs, t.run_id);
      expect(meta(run).status).toBe("finished");
      expect(epochEvents(run)).toHaveLength(7);
    }
    // A trial cut off mid-run continued from its resume point (a second attempt in the same folder).
    const resumed = interrupted.filter((trial) =>
      readEvents(join(d.runs, state.trials[trial]!.run_id), () => undefined).some((e) => e.type === "run_resumed"),
    );
    expect(resumed.length).toBeGreaterThan(0);
    expect(recs.some((r) => r.type === "trial_resumed" && r.reason === "crashed")).toBe(true);
  });

  it("Ctrl-C stops every trial at a batch boundary with a resume point; --resume finishes them in place", async () => {
    const work = mkdtempSync(join(tmpdir(), "tessera-sweep-int-"));
    const d = dirs(work);
    const first = tessera(["sweep", join(FIXTURES, "tiny-grid.yaml"), "--runs-dir", d.runs, "--sweeps-dir", d.sweeps]);
    let dir: string | null = null;
    for (let i = 0; i < 3000; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (!dir && existsSync(d.sweeps) && readdirSync(d.sweeps).length === 1) dir = onlySweep(d.sweeps);
      if (!dir || !existsSync(join(dir, SWEEP_FILES.trials))) continue;
      const running = foldTrials(records(dir)).trials.filter((t) => t.status === "running");
      const training = running.filter((t) => {
        const events = join(d.runs, t.run_id, RUN_FILES.events);
        return existsSync(events) && readFileSync(events, "utf8").includes('"type":"batch"');
      });
      if (training.length === 2) break;
    }
    first.child.kill("SIGINT");
    const stopped = await first.exit;
    expect(stopped.code, stopped.stderr).toBe(130);
    const cut = foldTrials(records(dir!));
    expect(cut.status).toBe("interrupted");
    // Both were training at the Ctrl-C; one may have finished its last batch before the signal arrived.
    const interrupted = cut.trials.filter((t) => t.status === "interrupted");
    expect(interrupted.length).toBeGreaterThan(0);
    for (const t of cut.trials.filter((x) => x.status !== "interrupted"))
      expect(meta(join(d.runs, t.run_id)).status).toBe(t.status);
    for (const t of interrupted) {
      const run = join(d.runs, t.run_id);
      expect(meta(run).status).toBe("interrupted");
      expect(readEvents(run, () => undefined).at(-1)!.type).toBe("run_interrupted");
    }
    const again = await tessera(["sweep", "--resume", cut.id!, "--sweeps-dir", d.sweeps]).exit;
    expect(again.code, again.stderr).toBe(0);
    const state = foldTrials(records(dir!));
    expect(state.trials.map((t) => t.status)).toEqual(["finished", "finished", "finished", "finished"]);
    for (const t of interrupted) {
      const events = readEvents(join(d.runs, t.run_id), () => undefined);
      expect(events.filter((e) => e.type === "run_resumed")).toHaveLength(1);
      expect(epochEvents(join(d.runs, t.run_id))).toHaveLength(3);
    }
    expect(readdirSync(d.runs)).toHaveLength(4);
  });
});
