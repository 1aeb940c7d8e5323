/**
 * One rule for a resumed run, whoever reads it: an epoch a resume superseded never counts. The
 * abandoned attempt below logged 90% before it was killed; the resume went back to the epoch-0
 * checkpoint and re-ran epoch 1 to 70%. `tessera ls`, `show`, `report`/`diff` and the dashboard
 * (table, compare, run page) must all say the best is 70%. Before the shared read side, the
 * dashboard's table and compare said 90%.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "@tessera/shared";
import { createRun } from "../runner/src/runs";
import { cli, epochBody, fakeSource, stageStartedBody, tempRunsDir } from "../runner/src/runs/test-helpers";
import { readRun } from "@tessera/shared/runstore";
import { runMetrics } from "../runner/src/report/run-metrics";
import { appRouter } from "../dashboard/src/server/routers/_app";
import { RunState } from "../dashboard/src/lib/runState";

let runsDir: string;
let runDir: string;
let runId: string;
const savedRunsDir = process.env.TESSERA_RUNS_DIR;

async function resumedRun(dir: string, id: string): Promise<string> {
  const run = await createRun({ runsDir: dir, loaded: fakeSource("demo"), id });
  run.append(stageStartedBody("head"));
  const kept = run.append(epochBody("head", 0, 0.5));
  run.append(epochBody("head", 1, 0.9)); // the abandoned attempt's epoch: superseded below
  run.append({ type: "run_interrupted", stage: "head", epoch: 1, step: 8 });
  run.append({ type: "run_resumed", from: { stage: "head", epoch: 0, step: 4 }, superseded_after_seq: kept.seq });
  run.append(epochBody("head", 1, 0.7));
  run.append({ type: "stage_finished", stage: "head", best: { epoch: 1, value: 0.7 } });
  run.finish("finished");
  return run.dir;
}

beforeAll(async () => {
  runsDir = tempRunsDir();
  runId = "20260101-000000-demo-re5u";
  runDir = await resumedRun(runsDir, runId);
  await resumedRun(runsDir, "20260101-000001-demo-re5v"); // a second run, for compare
  process.env.TESSERA_RUNS_DIR = runsDir;
});

afterAll(() => {
  if (savedRunsDir === undefined) delete process.env.TESSERA_RUNS_DIR;
  else process.env.TESSERA_RUNS_DIR = savedRunsDir;
});

describe("a resumed run's best accuracy", () => {
  it("is 70% in tessera ls", async () => {
    const ls = await cli(["ls", "--runs-dir", runsDir, "--json"]);
    const row = JSON.parse(ls.stdout).runs.find((r: { id: string }) => r.id === runId);
    expect(row).toMatchObject({ best_valid_accuracy: 0.7, last_valid_accuracy: 0.7, epochs_done: 2, epoch: 1 });
  });

  it("is 70% in tessera show", async () => {
    const show = await cli(["show", runDir, "--json"]);
    const doc = JSON.parse(show.stdout);
    expect(doc.epochs.map((e: { valid_accuracy: number }) => e.valid_accuracy)).toEqual([0.5, 0.7]);
  });

  it("is 70% in report and diff (runMetrics over the record loadRunSide reads)", async () => {
    const record = await readRun(runDir);
    const metrics = runMetrics(record.events, record.summary);
    expect(metrics.best).toMatchObject({ value: 0.7, epoch: 1 });
    expect(metrics.epochs.map((e) => e.valid_accuracy)).toEqual([0.5, 0.7]);
  });

  it("is 70% in the dashboard's runs table and compare", async () => {
    const caller = appRouter.createCaller({});
    const { rows } = await caller.runs.list({});
    expect(rows.find((r) => r.id === runId)).toMatchObject({ bestAccuracy: 0.7, lastAccuracy: 0.7, epoch: 1 });
    const { runs } = await caller.runs.compare({ ids: [runId, "20260101-000001-demo-re5v"] });
    expect(runs[0]).toMatchObject({ best: 0.7, last: 0.7 });
    expect(runs[0]!.epochs.map((p) => p.validAccuracy)).toEqual([0.5, 0.7]);
  });

  it("is 70% on the dashboard's run page, fed the raw stream live", async () => {
    const caller = appRouter.createCaller({});
    const { events } = await caller.runs.backlog({ id: runId });
    const state = new RunState();
    // The live subscription sends raw lines: replay every one as it would.
    const raw = readFileSync(join(runDir, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as RunEvent);
    for (const e of raw) state.apply(e);
    expect(state.accuracy.map((p) => p.y)).toEqual([0.5, 0.7]);
    expect(Math.max(...events.filter((e) => e.type === "epoch").map((e) => e.valid_accuracy))).toBe(0.7);
  });
});
