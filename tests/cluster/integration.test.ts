/**
 * THE integration test of issue 18: one Redis, the central server (`tessera dashboard --queue`),
 * two `tessera worker` processes with separate run folders, state folders and data caches (two
 * "machines"), and a 4-trial grid sweep driven with `tessera sweep --queue` on the central store.
 * One worker is SIGKILLed (with its training child: the machine is gone) mid-trial, once the
 * server holds that trial's resume checkpoint. Then: every trial finished exactly once on the
 * server, each run's seq has no gap or duplicate, the killed trial was resumed by the other worker
 * from the checkpoint (run_resumed past the start, the first attempt's epochs kept), and the
 * server's run folders read like local ones (readRun, `tessera show`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_FILES, type RunEvent } from "@tessera/shared";
import { dropSuperseded, readRun } from "@tessera/shared/runstore";
import { spawnDashboard } from "../../runner/src/cli/commands/dashboard";
import { addToken } from "../../runner/src/remote/tokens";
import { tokensFileFor } from "@tessera/shared/tokens";
import { readEvents } from "../../runner/src/runs";
import { missingComponent } from "../helpers/components";
import { REPO_ROOT } from "../helpers/paths";
import { startRedis, type TestRedis } from "../helpers/redis";

const BIN = join(REPO_ROOT, "runner/bin/tessera.js");
const skip = await missingComponent("redis");

const SWEEP = `
name: cluster-tiny
seed: 3
backend: wasm
data: { source: synthetic, classes: 3, per_class: 8, image_size: 32, split: { valid: 0.25 } }
model: { backbone: resnet18, width: 0.125, head: { dropout: 0.2 } }
train:
  batch_size: 8
  stages:
    - { name: head, trainable: [head], train_bn: false, size: 32, epochs: 1, lr: 1e-2 }
    - { name: all, trainable: all, size: 32, epochs: 4, lr: { min: 1e-4, max: 3e-3 }, schedule: one_cycle }
sweep:
  method: grid
  parallel: 2
  parameters:
    train.stages[head].lr: { values: [1e-3, 1e-2] }
    model.head.dropout: { values: [0.1, 0.5] }
`;

interface Proc {
  child: ChildProcess;
  out: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function tessera(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (out += String(d)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on("exit", (code, signal) => done({ code, signal })),
  );
  return { child, out: () => out, exit };
}

async function until<T>(what: string, fn: () => T | undefined | null | false, ms: number, proc?: Proc): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${proc ? `\n${proc.out().slice(-3000)}` : ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Current events (superseded ones dropped), as readers see them. */
const eventsOf = (dir: string): RunEvent[] =>
  existsSync(join(dir, RUN_FILES.events)) ? readEvents(dir, () => undefined) : [];

/** Every line of events.jsonl as written, superseded ones included (for the seq check). */
const rawEventsOf = (dir: string): RunEvent[] =>
  readFileSync(join(dir, RUN_FILES.events), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as RunEvent);

describe.skipIf(skip !== null)("many machines: central server + two workers + a sweep, one worker SIGKILLed", () => {
  let redis: TestRedis;
  let work: string;
  let server: { url: string; stop(): void } | null = null;
  const procs: Proc[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    work = mkdtempSync(join(tmpdir(), "tessera-cluster-"));
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    server?.stop();
    await redis?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("finishes every trial exactly once on the server, the killed one resumed from its checkpoint", async () => {
    const central = join(work, "central");
    const centralRuns = join(central, "runs");
    const tokensFile = tokensFileFor(centralRuns);
    const tokens = { w1: addToken(tokensFile, "w1"), w2: addToken(tokensFile, "w2") };
    server = await spawnDashboard({
      port: "0",
      runsDir: centralRuns,
      configsDir: join(REPO_ROOT, "configs"),
      queue: redis.url,
    });

    const machine = (name: "w1" | "w2") => {
      const root = join(work, name);
      const args = ["worker", "--queue", redis.url, "--server", server!.url, "--token", tokens[name], "--name", name];
      const more = ["--runs", join(root, "runs"), "--state-dir", join(root, "state"), "--data-root", REPO_ROOT];
      const proc = tessera([...args, ...more, "--threads", "1", "--lock-ms", "4000"], {
        TESSERA_CACHE_DIR: join(root, "cache"),
      });
      procs.push(proc);
      return { proc, root };
    };
    const w1 = machine("w1");
    const w2 = machine("w2");

    const sweepFile = join(work, "sweep.yaml");
    writeFileSync(sweepFile, SWEEP);
    const sweepArgs = ["sweep", sweepFile, "--queue", redis.url, "--runs-dir", centralRuns];
    const sweep = tessera([...sweepArgs, "--sweeps-dir", join(central, "sweeps"), "--json"]);
    procs.push(sweep);

    // Kill w1 mid-trial once the server has an `all` epoch of its run and a resume checkpoint. The
    // checkpoint may be an epoch behind the worker's: on a busy machine these tiny epochs end faster
    // than an upload, so waiting for the worker's very latest one could outlast the trial. Resuming
    // from an older one is the case to test anyway (its later epochs are superseded).
    const victim = await until(
      "a trial on w1 with an `all` epoch and a resume checkpoint on the server",
      () => {
        const local = join(w1.root, "runs");
        for (const id of existsSync(local) ? readdirSync(local) : []) {
          const onServer = join(centralRuns, id);
          const epochs = eventsOf(onServer).filter((e) => e.type === "epoch" && e.stage === "all");
          if (eventsOf(onServer).some((e) => e.type === "run_finished")) continue;
          if (epochs.length >= 1 && existsSync(join(onServer, RUN_FILES.resume, "train_state.json"))) return id;
        }
        return null;
      },
      400_000,
      w1.proc,
    );
    const childPid = Number(readFileSync(join(w1.root, "state", "logs", `${victim}.log.pid`), "utf8").trim());
    const killedAt = eventsOf(join(centralRuns, victim)).at(-1)!.seq;
    w1.proc.child.kill("SIGKILL");
    try {
      process.kill(childPid, "SIGKILL");
    } catch {
      // already gone
    }
    expect((await w1.proc.exit).signal).toBe("SIGKILL");

    const ended = await Promise.race([sweep.exit, new Promise<null>((r) => setTimeout(() => r(null), 500_000))]);
    expect(
      ended,
      `sweep did not end:\n${sweep.out().slice(-3000)}\n--- w2:\n${w2.proc.out().slice(-3000)}`,
    ).not.toBeNull();
    expect(ended!.code, `${sweep.out().slice(-3000)}\n--- w2:\n${w2.proc.out().slice(-3000)}`).toBe(0);

    const runs = readdirSync(centralRuns).filter((n) => !n.startsWith("."));
    expect(runs).toHaveLength(4);
    for (const id of runs) {
      const dir = join(centralRuns, id);
      const raw = rawEventsOf(dir);
      expect(
        raw.map((e) => e.seq),
        `${id}: seq continuous`,
      ).toEqual(raw.map((_, i) => i));
      const events = eventsOf(dir);
      expect(
        events.filter((e) => e.type === "run_finished"),
        `${id}: finished once`,
      ).toHaveLength(1);
      const epochs = dropSuperseded(events).filter((e) => e.type === "epoch");
      expect(
        epochs.map((e) => e.type === "epoch" && `${e.stage}:${e.epoch}`),
        `${id}: one epoch event per (stage, epoch)`,
      ).toEqual(["head:1", "all:1", "all:2", "all:3", "all:4"]);
      const record = await readRun(dir);
      expect(record.meta.status).toBe("finished");
      const show = tessera(["show", id, "--runs-dir", centralRuns, "--json"]);
      expect((await show.exit).code, show.out()).toBe(0);
    }

    const resumed = rawEventsOf(join(centralRuns, victim)).filter((e) => e.type === "run_resumed");
    expect(resumed, "the killed trial was resumed").toHaveLength(1);
    const from = resumed[0]!.type === "run_resumed" ? resumed[0]!.from : null;
    // From a checkpoint, not from the start of training: a restart would say {head, epoch 1, step 0}
    // (the resume point is saved at each epoch's end, so it is head's end or an `all` epoch's), and
    // the first attempt's epochs up to that checkpoint still count.
    expect(from, w2.proc.out().slice(-4000)).not.toMatchObject({ stage: "head", epoch: 1, step: 0 });
    expect(from!.stage === "all" || from!.epoch > 1).toBe(true);
    const kept = dropSuperseded(rawEventsOf(join(centralRuns, victim))).filter((e) => e.type === "epoch");
    expect(kept.filter((e) => e.attempt === 1).map((e) => e.type === "epoch" && `${e.stage}:${e.epoch}`)).toEqual(
      expect.arrayContaining(["head:1"]),
    );
    expect(resumed[0]!.seq).toBeGreaterThan(0);
    expect(killedAt).toBeGreaterThan(0);
    // w2 finished it: its own folder has the run, and the server's claim is w2's.
    expect(existsSync(join(w2.root, "runs", victim))).toBe(true);
    expect(JSON.parse(readFileSync(join(centralRuns, victim, RUN_FILES.claim), "utf8")).worker).toBe("w2");
  }, 900_000);
});
