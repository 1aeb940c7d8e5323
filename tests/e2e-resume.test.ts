/**
 * Crash safety end to end, through the real CLI in child processes: a run killed with SIGKILL at
 * several points (during the first stage's LR finder, mid-epoch with a torn last line, right after
 * an epoch event), one stopped with Ctrl-C and one with a double Ctrl-C are resumed with `tessera run --resume`, and the
 * finished run folders must be complete and consistent — one `epoch` event per (stage, epoch),
 * every attempt recorded — with final metrics equal to an uninterrupted run's (same backend, seed).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { RUN_FILES, type EventOf, type RunEvent } from "@tessera/shared";
import { readRun, tailEvents } from "../runner/src/runs";
import { REPO_ROOT } from "./helpers/paths";

const CONFIG = `
name: resume-tiny
seed: 7
backend: wasm
data:
  source: synthetic
  classes: 3
  per_class: 16
  image_size: 32
  split: { valid: 0.25 }
  augment: { dihedral: true }
model:
  backbone: resnet18
  width: 0.125
  head: { dropout: 0.2 }
train:
  batch_size: 8
  optimizer: { name: adamw, weight_decay: 0.01 }
  stages:
    - { name: head, trainable: [head], size: 32, epochs: 1, lr: { find: true, steps: 8, spread: 10 } }
    - { name: all, trainable: all, size: 32, epochs: 3, lr: { min: 1e-4, max: 3e-3 }, schedule: one_cycle }
`;
const EPOCHS = [
  ["head", 1],
  ["all", 1],
  ["all", 2],
  ["all", 3],
];

interface Started {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** `tessera <args>` in one Node process (not via pnpm or the tsx wrapper, so signals reach it). */
function tessera(args: string[]): Started {
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "runner/src/cli/bin.ts"), ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += String(d)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exit };
}

async function runDirOf(runsDir: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const ids = existsSync(runsDir) ? readdirSync(runsDir) : [];
    if (ids.length === 1 && existsSync(join(runsDir, ids[0]!, RUN_FILES.events))) return join(runsDir, ids[0]!);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no run folder appeared in ${runsDir}`);
}

/** Sends `signal` to the run when `when` first holds for an event it writes; resolves with that event. */
async function signalWhen(started: Started, dir: string, when: (e: RunEvent) => boolean, signal: NodeJS.Signals) {
  const controller = new AbortController();
  void started.exit.then(() => controller.abort());
  for await (const e of tailEvents(dir, { signal: controller.signal, pollMs: 20 })) {
    if (when(e)) {
      started.child.kill(signal);
      controller.abort();
      return e;
    }
  }
  throw new Error(`the run ended before the event to ${signal} at: ${(await started.exit).stderr.slice(-2000)}`);
}

const epochs = (events: RunEvent[]) => events.filter((e): e is EventOf<"epoch"> => e.type === "epoch");

describe("SIGKILL / Ctrl-C and tessera run --resume", () => {
  let work: string;
  let config: string;
  let baseline: EventOf<"epoch">[];
  let baselineFinal: { valid_accuracy: number; valid_loss: number };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "tessera-resume-e2e-"));
    config = join(work, "tiny.yaml");
    writeFileSync(config, CONFIG);
    const runsDir = join(work, "baseline");
    const run = tessera(["run", config, "--runs-dir", runsDir]);
    const { code, stderr } = await run.exit;
    expect(code, stderr).toBe(0);
    const record = await readRun(await runDirOf(runsDir));
    baseline = epochs(record.events);
    baselineFinal = record.summary!.final;
    expect(baseline.map((e) => [e.stage, e.epoch])).toEqual(EPOCHS);
  });

  function expectLikeBaseline(events: RunEvent[], final: { valid_accuracy: number; valid_loss: number }) {
    const got = epochs(events);
    expect(got.map((e) => [e.stage, e.epoch])).toEqual(EPOCHS); // complete, no duplicate epoch
    got.forEach((e, i) => {
      expect(e.valid_accuracy).toBe(baseline[i]!.valid_accuracy);
      expect(e.valid_loss).toBeCloseTo(baseline[i]!.valid_loss, 6);
      expect(e.train_loss).toBeCloseTo(baseline[i]!.train_loss, 6);
    });
    expect(final.valid_accuracy).toBe(baselineFinal.valid_accuracy);
    expect(final.valid_loss).toBeCloseTo(baselineFinal.valid_loss, 6);
    const seqs = events.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  }

  it("survives three SIGKILLs at different points (one leaving a torn line) and finishes like an uninterrupted run", async () => {
    const runsDir = join(work, "killed");
    // 1. During the head stage's LR finder: no resume point yet, so the next attempt starts over.
    const first = tessera(["run", config, "--runs-dir", runsDir]);
    const dir = await runDirOf(runsDir);
    await signalWhen(first, dir, (e) => e.type === "lr_find", "SIGKILL");
    expect((await first.exit).signal).toBe("SIGKILL");

    // 2. Mid-epoch in stage 'all', then a half-written line as a kill mid-write leaves.
    const second = tessera(["run", "--resume", dir]);
    await signalWhen(
      second,
      dir,
      (e) => e.type === "batch" && e.stage === "all" && e.epoch === 2 && e.step > 7,
      "SIGKILL",
    );
    await second.exit;
    appendFileSync(join(dir, RUN_FILES.events), '{"format":1,"seq":99999,"time":"2026-');

    // 3. Right after an epoch event (before or after its checkpoint: either must be consistent).
    const third = tessera(["run", "--resume", dir]);
    await signalWhen(
      third,
      dir,
      (e) => e.type === "epoch" && e.stage === "all" && e.epoch === 2 && e.attempt === 3,
      "SIGKILL",
    );
    expect((await third.exit).stderr).toMatch(/removed a half-written last line/);

    const last = tessera(["run", "--resume", dir]);
    const done = await last.exit;
    expect(done.code, done.stderr).toBe(0);

    const record = await readRun(dir);
    expect(record.meta).toMatchObject({ status: "finished", attempt: 4 });
    const resumed = record.events.filter((e): e is EventOf<"run_resumed"> => e.type === "run_resumed");
    expect(resumed.map((e) => e.attempt)).toEqual([2, 3, 4]);
    expect(resumed[0]!.from).toMatchObject({ epoch: 1, step: 0 }); // restarted: nothing to resume from
    expect(record.events.filter((e) => e.type === "run_started")).toHaveLength(1);
    expect(
      record.events.filter((e) => e.type === "stage_started").map((e) => (e as EventOf<"stage_started">).stage),
    ).toEqual(["head", "all"]);
    expectLikeBaseline(record.events, record.summary!.final);
  });

  it("Ctrl-C finishes the batch, saves a resume point, exits 130; --resume finishes like an uninterrupted run", async () => {
    const runsDir = join(work, "interrupted");
    const first = tessera(["run", config, "--runs-dir", runsDir]);
    const dir = await runDirOf(runsDir);
    await signalWhen(
      first,
      dir,
      (e) => e.type === "batch" && e.stage === "all" && e.epoch === 1 && e.step === 2,
      "SIGINT",
    );
    const stopped = await first.exit;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/tessera run --resume/);
    const mid = await readRun(dir);
    expect(mid.meta.status).toBe("interrupted");
    expect(mid.events.at(-1)).toMatchObject({ type: "run_interrupted", stage: "all", epoch: 1 });
    expect(existsSync(join(dir, RUN_FILES.lock))).toBe(false);

    const rest = tessera(["run", "--resume", dir]);
    const done = await rest.exit;
    expect(done.code, done.stderr).toBe(0);
    const record = await readRun(dir);
    expect(record.meta).toMatchObject({ status: "finished", attempt: 2 });
    const resumed = record.events.find((e): e is EventOf<"run_resumed"> => e.type === "run_resumed")!;
    expect(resumed.from.stage).toBe("all");
    expect(resumed.from.step).toBeGreaterThanOrEqual(2); // mid-epoch: the batches before the stop are kept
    expectLikeBaseline(record.events, record.summary!.final);
  });

  it("a second Ctrl-C ends the process at once and the folder still resumes to the same result", async () => {
    const runsDir = join(work, "double");
    const first = tessera(["run", config, "--runs-dir", runsDir]);
    const dir = await runDirOf(runsDir);
    await signalWhen(first, dir, (e) => e.type === "batch" && e.stage === "all" && e.epoch === 2, "SIGINT");
    first.child.kill("SIGINT");
    const stopped = await first.exit;
    // Killed by the second signal, or (if the first had already finished its work) exit 130.
    expect(stopped.signal === "SIGINT" || stopped.code === 130, stopped.stderr).toBe(true);

    const rest = tessera(["run", "--resume", dir]);
    const done = await rest.exit;
    expect(done.code, done.stderr).toBe(0);
    const record = await readRun(dir);
    expect(record.meta).toMatchObject({ status: "finished", attempt: 2 });
    expectLikeBaseline(record.events, record.summary!.final);
  });

  it("refuses to resume a finished run", async () => {
    const runsDir = join(work, "baseline");
    const again = tessera(["run", "--resume", await runDirOf(runsDir)]);
    const { code, stderr } = await again.exit;
    expect(code).toBe(1);
    expect(stderr).toMatch(/already finished; nothing to resume/);
  });
});
