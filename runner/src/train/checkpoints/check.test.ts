/**
 * Damaged checkpoint files name themselves: a truncated weights.bin, a cut train_state.json or
 * checkpoint.json gave tfjs's own RangeError / JSON error, which the CLI reported as a bug. A
 * damaged resume point falls back to the previous one.
 */
import { mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitError } from "../../errors";
import { CheckpointDamagedError } from "./check";
import { loadCheckpoint, saveCheckpoint } from "./io";
import { checkpointInfo, tinyCheckpointModel } from "./testing";
import { GroupOptimizer } from "../loop/optim";
import { loadResumePoint, PREVIOUS_RESUME_DIR, RESUME_DIR, saveResumePoint, type TrainPosition } from "../resume/state";

const tinyModel = () => tinyCheckpointModel({ size: 4, bn: false });
const info = checkpointInfo({ stage: "s", step: 2, size: 4, time: "t" });

const position = (epoch: number, last_seq: number): TrainPosition => ({
  format: 1,
  fold_index: 0,
  fold: null,
  stage_index: 0,
  stage: "s",
  epoch,
  batch: 0,
  step: 2 * epoch,
  loss_sum: 0,
  stage_best: null,
  run_best: null,
  lrs: { head: 0.01 },
  early_stopping: null,
  last_seq,
  attempt: 1,
});

describe("a damaged checkpoint", () => {
  it("a truncated weights.bin is named, with what to do, as an ExitError (not a bug report)", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "tessera-damage-")), "best");
    await saveCheckpoint(tinyModel(), dir, info);
    const weights = join(dir, "weights.bin");
    truncateSync(weights, statSync(weights).size - 7);
    const load = loadCheckpoint(dir, "restore it");
    await expect(load).rejects.toThrow(ExitError);
    await expect(loadCheckpoint(dir, "restore it")).rejects.toThrow(
      `${weights}: damaged checkpoint file (truncated: ${statSync(weights).size} bytes, the model needs ${statSync(weights).size + 7}); restore it`,
    );
  });

  it("a cut checkpoint.json or model.json is named", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "tessera-damage-")), "best");
    await saveCheckpoint(tinyModel(), dir, info);
    writeFileSync(join(dir, "checkpoint.json"), '{"format": 1, "sta');
    await expect(loadCheckpoint(dir)).rejects.toThrow(/checkpoint\.json: damaged checkpoint file \(not valid JSON/);
    writeFileSync(join(dir, "model.json"), "");
    await expect(loadCheckpoint(dir)).rejects.toThrow(/model\.json: damaged checkpoint file \(empty file\)/);
  });

  it("--resume falls back to the previous resume point, and says the run must restart when none is good", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "tessera-damage-"));
    const model = tinyModel();
    const optimizer = new GroupOptimizer({
      name: "adam",
      weight_decay: 0,
      momentum: 0.9,
      beta1: 0.9,
      beta2: 0.99,
      eps: 1e-5,
    });
    await saveResumePoint({ runDir, model, optimizer, position: position(2, 10), info });
    await saveResumePoint({ runDir, model, optimizer, position: position(3, 20), info });
    const state = join(runDir, RESUME_DIR, "train_state.json");
    writeFileSync(state, readFileSync(state, "utf8").slice(0, 30));
    const fallbacks: string[] = [];
    const point = await loadResumePoint(runDir, { onFallback: (d, used) => fallbacks.push(`${d.file} ${used.dir}`) });
    expect(point?.position.epoch).toBe(2);
    expect(fallbacks).toEqual([`${state} ${join(runDir, PREVIOUS_RESUME_DIR)}`]);
    point!.dispose();

    truncateSync(join(runDir, PREVIOUS_RESUME_DIR, "optimizer.bin"), 3);
    const failed = loadResumePoint(runDir);
    await expect(failed).rejects.toThrow(CheckpointDamagedError);
    await expect(loadResumePoint(runDir)).rejects.toThrow(
      new RegExp(
        `^${state}: damaged checkpoint file \\(not valid JSON.*no earlier good resume point: start the run again`,
      ),
    );
  });
});
