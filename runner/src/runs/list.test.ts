import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RUN_FILES, type RunEventBody } from "@tessera/shared";
import { ExitError } from "../errors";
import { listRuns } from "@tessera/shared/runstore";
import { createRun } from "./writer";
import { batchBody, epochBody, fakeSource, tempRunsDir } from "./test-helpers";

const stageBody = (stage: string, index: number): RunEventBody => ({
    type: "stage_started",
    stage,
    index,
    size: 32,
    epochs: 2,
    steps_per_epoch: 10,
    trainable: ["head"],
    lr: { head: 1e-3 },
  schedule: { name: "constant" },
});

describe("listRuns", () => {
  it("lists runs newest first with best/last accuracy and current stage/epoch, updated incrementally", async () => {
    const runsDir = tempRunsDir();
    const old = await createRun({ runsDir, loaded: fakeSource("a"), id: "20260101-000000-a-0000" });
    old.finish("finished");
    const run = await createRun({ runsDir, loaded: fakeSource("b"), id: "20260102-000000-b-0000" });
    run.append(stageBody("head", 0));
    run.append(epochBody("head", 0, 0.6));
    run.append(epochBody("head", 1, 0.9));
    run.append(stageBody("all", 1));
    run.append(batchBody("all", 0, 1));
    let rows = await listRuns(runsDir);
    expect(rows.map((r) => r.meta.id)).toEqual([run.id, old.id]);
    expect(rows[0]).toMatchObject({ stage: "all", epoch: null, best_valid_accuracy: 0.9, last_valid_accuracy: 0.9 });
    expect(rows[0]).toMatchObject({ epochs_done: 2, stale: false });
    expect(rows[1]).toMatchObject({ best_valid_accuracy: null, stage: null, stale: false });

    run.append(epochBody("all", 0, 0.7));
    rows = await listRuns(runsDir);
    expect(rows[0]).toMatchObject({ stage: "all", epoch: 0, best_valid_accuracy: 0.9, last_valid_accuracy: 0.7 });
    // A resume supersedes the last epoch: the listing forgets it.
    run.append({ type: "run_resumed", from: { stage: "all", epoch: 0, step: 0 }, superseded_after_seq: 4 });
    rows = await listRuns(runsDir);
    expect(rows[0]).toMatchObject({ last_valid_accuracy: 0.9, epochs_done: 2 });
    run.finish("interrupted");
  });

  it("marks a 'running' run whose writer is gone as stale, and lists a folder with a broken meta.json as damaged", async () => {
    const runsDir = tempRunsDir();
    const run = await createRun({ runsDir, loaded: fakeSource() });
    run.finish("finished");
    writeFileSync(
      join(run.dir, RUN_FILES.meta),
      JSON.stringify({ ...JSON.parse(JSON.stringify(run.meta)), status: "running" }),
    );
    const broken = await createRun({ runsDir, loaded: fakeSource("z") });
    broken.finish("finished");
    writeFileSync(join(broken.dir, RUN_FILES.meta), "{");
    const warnings: string[] = [];
    const rows = await listRuns(runsDir, { warn: (m) => warnings.push(m) });
    expect(rows).toHaveLength(2);
    const damaged = rows.find((r) => r.dir === broken.dir)!;
    expect(damaged.damaged).toMatch(/meta\.json: not valid JSON/);
    expect(damaged.meta.id).toBe(broken.id);
    expect(damaged.stale).toBe(false);
    expect(rows.find((r) => r.dir === run.dir)).toMatchObject({ stale: true, damaged: null });
    expect(await listRuns(join(runsDir, "nope"))).toEqual([]);
  });
});

describe("listRuns on a runs dir that is a file", () => {
  it("refuses it with a clear error instead of a stack trace", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "tessera-list-file-")), "not-a-dir.yaml");
    writeFileSync(file, "name: x\n");
    await expect(listRuns(file)).rejects.toThrow(/not a folder/);
    await expect(listRuns(file)).rejects.toBeInstanceOf(ExitError);
  });
});
