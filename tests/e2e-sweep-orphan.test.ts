/**
 * The crash-recovery race of `tessera sweep --resume`, made deterministic: the sweep's process dies
 * (SIGKILL) after spawning a trial's `tessera run` child but before the child's pid is on disk
 * (tests/helpers/sweep-dies-at-spawn.mjs kills it exactly there). No record names that child, so a
 * resumed sweep cannot wait for it; the child must therefore never touch the run folder. Before
 * the fix it went on to create the folder and train to its first batch, so the resumed sweep's
 * own process for that trial either found the folder taken ("already exists") or had to continue
 * the orphan's attempt: two processes writing one run folder, one after the other, unrecorded.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { foldTrials, RUN_FILES, SWEEP_FILES, type TrialRecord } from "@tessera/shared";
import { processAlive, readEvents } from "../runner/src/runs";
import { REPO_ROOT } from "./helpers/paths";

const BIN = join(REPO_ROOT, "runner/bin/tessera.js");
const DIES_AT_SPAWN = join(REPO_ROOT, "tests/helpers/sweep-dies-at-spawn.mjs");
const FIXTURES = join(REPO_ROOT, "tests/fixtures/sweeps");

function node(script: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  child.stdout.on("data", () => undefined);
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
}

const records = (dir: string): TrialRecord[] =>
  readFileSync(join(dir, SWEEP_FILES.trials), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as TrialRecord);

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  for (let t = 0; t < ms && processAlive(pid); t += 50) await new Promise((r) => setTimeout(r, 50));
  return !processAlive(pid);
}

describe("tessera sweep --resume after the sweep died between spawning a trial and recording its pid", () => {
  it("the unrecorded child writes nothing; the resumed sweep runs the trial once, in one attempt", async () => {
    const work = mkdtempSync(join(tmpdir(), "tessera-sweep-orphan-"));
    const runs = join(work, "runs");
    const sweeps = join(work, "sweeps");
    const note = join(work, "orphan.pid");
    const file = join(work, "random.yaml");
    writeFileSync(
      file,
      readFileSync(join(FIXTURES, "tiny-grid.yaml"), "utf8")
        .replace("size: 32, epochs: 2,", "size: 32, epochs: 1,")
        .replace(
          /sweep:[\s\S]*$/,
          "sweep:\n  method: random\n  trials: 2\n  parallel: 1\n  seed: 5\n  parameters:\n    train.stages[head].lr: { log_uniform: [1e-4, 1e-1] }\n",
        ),
    );
    const first = await node(DIES_AT_SPAWN, ["sweep", file, "--runs-dir", runs, "--sweeps-dir", sweeps], {
      TESSERA_TEST_ORPHAN_NOTE: note,
    });
    expect(first.signal, first.stderr).toBe("SIGKILL");
    const orphan = Number(readFileSync(note, "utf8"));
    expect(orphan).toBeGreaterThan(0);
    const [id] = readdirSync(sweeps);
    const dir = join(sweeps, id!);
    const cut = foldTrials(records(dir));
    expect(cut.trials.map((t) => [t.trial, t.status])).toEqual([[0, "running"]]);
    const runDir = join(runs, cut.trials[0]!.run_id);

    // Resume at once, while the orphan is (most likely) still starting: the race as it happened.
    const again = await node(BIN, ["sweep", "--resume", id!, "--sweeps-dir", sweeps]);
    expect(again.code, again.stderr).toBe(0);
    expect(await waitForExit(orphan, 60_000)).toBe(true);

    const recs = records(dir);
    const state = foldTrials(recs);
    expect(state.status).toBe("finished");
    expect(recs.filter((r) => r.type === "trial_started").map((r) => r.trial)).toEqual([0, 1]);
    expect(recs.filter((r) => r.type === "trial_finished").map((r) => r.trial)).toEqual([0, 1]);
    expect(readdirSync(runs).sort()).toEqual(state.trials.map((t) => t.run_id).sort());
    // Trial 0's folder was written by one process only: one attempt, never interrupted or resumed,
    // and no process of that trial was refused its folder.
    const events = readEvents(runDir, () => undefined);
    expect(new Set(events.map((e) => e.attempt))).toEqual(new Set([1]));
    expect(events.filter((e) => e.type === "run_interrupted" || e.type === "run_resumed")).toEqual([]);
    expect(JSON.parse(readFileSync(join(runDir, RUN_FILES.meta), "utf8")).status).toBe("finished");
    const log = readFileSync(join(dir, SWEEP_FILES.logs, "trial-0.log"), "utf8");
    expect(log).not.toMatch(/already exists|being written by/);
    // The orphan said why it stopped (it shares the trial's log file).
    expect(log).toMatch(/before recording this process/);
    expect(existsSync(join(runDir, RUN_FILES.lock))).toBe(false);
  });
});
