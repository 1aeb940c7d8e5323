import { afterEach, describe, expect, it } from "vitest";
import type { RunEventBody } from "@tessera/shared";
import { installInterrupt, interruptHook, InterruptedError, type Interrupt } from "./interrupt";
import type { ResumePointWriter } from "./resume";
import type { BatchLogs, LoopControl } from "./hooks";

let installed: Interrupt | null = null;
afterEach(() => installed?.dispose());

const batch: BatchLogs = {
  stage: "all",
  fold: null,
  epoch: 2,
  step: 7,
  batch: 3,
  batches: 4,
  loss: 1,
  lr: {},
  images_per_s: 1,
};
const control: LoopControl = { stopStage: false, reason: null };

describe("interrupt", () => {
  it("first signal asks for a stop, second exits 130 at once", () => {
    const said: string[] = [];
    const exits: number[] = [];
    installed = installInterrupt({ say: (t) => said.push(t), exit: (c) => exits.push(c) });
    expect(installed.requested()).toBe(false);
    process.emit("SIGINT", "SIGINT");
    expect(installed.requested()).toBe(true);
    expect(exits).toEqual([]);
    expect(said[0]).toMatch(/stopping after this batch/);
    process.emit("SIGTERM", "SIGTERM");
    expect(exits).toEqual([130]);
  });

  it("after a requested stop, the hook saves a resume point, writes run_interrupted, then throws (exit 130)", async () => {
    installed = installInterrupt({ say: () => undefined, exit: () => undefined });
    const calls: string[] = [];
    const resume = { saveNow: async () => (calls.push("save"), null) } as unknown as ResumePointWriter;
    const emitted: RunEventBody[] = [];
    const hook = interruptHook(installed, resume, (b) => (calls.push("emit"), emitted.push(b)), "run-1");
    await hook.onBatchEnd!(batch, control); // nothing requested: a no-op
    expect(calls).toEqual([]);
    installed.request();
    const error = await Promise.resolve(hook.onBatchEnd!(batch, control)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).code).toBe(130);
    expect((error as Error).message).toMatch(/tessera run --resume run-1/);
    expect(calls).toEqual(["save", "emit"]);
    expect(emitted[0]).toEqual({ type: "run_interrupted", stage: "all", epoch: 2, step: 7 });
  });
});
