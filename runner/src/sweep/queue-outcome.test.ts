/**
 * How a queued trial's end is read: from its run folder in the store first, BullMQ's failure reason
 * only when the folder says nothing, and a continued trial that trained no further is a failure.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RUN_FILES } from "@tessera/shared";
import type { TrialJob } from "./executor";
import { checkProgress, epochsTrained, folderOutcome } from "./queue-outcome";

let runsDir: string;
beforeEach(() => void (runsDir = mkdtempSync(join(tmpdir(), "tessera-queue-outcome-"))));
afterEach(() => rmSync(runsDir, { recursive: true, force: true }));

function job(start: TrialJob["start"] = { kind: "new", configFile: "x.yaml", sets: [] }): TrialJob {
  return {
    sweepId: "s",
    trial: 0,
    runId: "r",
    runsDir,
    start,
    stopAtEpoch: 3,
    logFile: join(runsDir, "log"),
    shareDir: join(runsDir, "share"),
  };
}

/** A run folder with `status` in meta.json and these events (seq numbered here). */
function folder(status: string, events: Record<string, unknown>[] = []): void {
  const dir = join(runsDir, "r");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, RUN_FILES.meta), JSON.stringify({ format: 1, id: "r", status }));
  const time = "2026-01-01T00:00:00.000Z";
  const lines = events.map((e, seq) => JSON.stringify({ format: 1, seq, time, attempt: 1, ...e }));
  writeFileSync(join(dir, RUN_FILES.events), lines.map((l) => `${l}\n`).join(""));
}

const epoch = (n: number) => ({ type: "epoch", stage: "all", epoch: n, step: n, valid_accuracy: 0.5 });

describe("folderOutcome", () => {
  it("takes the status from the run folder", async () => {
    folder("stopped_early");
    expect(await folderOutcome(job(), null, false, 0)).toEqual({ status: "stopped_early", error: null });
    folder("finished");
    // The folder wins over a failed job (a worker that died after the run ended).
    expect(await folderOutcome(job(), "stalled", false, 0)).toEqual({ status: "finished", error: null });
  });

  it("reports the run's own run_failed error before BullMQ's reason", async () => {
    folder("failed", [{ type: "run_failed", error: "NaN loss at step 3", stage: "all", epoch: 1 }]);
    expect(await folderOutcome(job(), "tessera run failed", false, 0)).toEqual({
      status: "failed",
      error: "NaN loss at step 3",
    });
  });

  it("falls back to BullMQ's reason when the worker refused the job before any run existed", async () => {
    expect(await folderOutcome(job(), "job x: the config does not validate here", false, 0)).toEqual({
      status: "failed",
      error: "job x: the config does not validate here",
    });
  });

  it("calls a job that failed after this sweep's Ctrl-C an interruption", async () => {
    folder("running");
    expect(await folderOutcome(job(), "cancelled", true, 0)).toEqual({ status: "interrupted", error: null });
  });

  it("says where it looked when a completed job left no run in the store", async () => {
    const outcome = await folderOutcome(job(), null, false, 0);
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toMatch(/no meta\.json.*--runs-dir/);
  });
});

describe("checkProgress", () => {
  it("fails a continued trial that came back stopped without one more epoch", () => {
    folder("stopped_early", [epoch(1)]);
    const resumed = job({ kind: "resume" });
    const before = epochsTrained(resumed);
    expect(before).toBe(1);
    const outcome = checkProgress(resumed, before, { status: "stopped_early", error: null });
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toMatch(/without continuing to 3/);
    folder("stopped_early", [epoch(1), epoch(2), epoch(3)]);
    expect(checkProgress(resumed, before, { status: "stopped_early", error: null })).toEqual({
      status: "stopped_early",
      error: null,
    });
    // A new trial stopping at its first rung is what it should do.
    expect(checkProgress(job(), 0, { status: "stopped_early", error: null }).status).toBe("stopped_early");
  });
});
