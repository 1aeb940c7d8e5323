import { afterEach, describe, expect, it } from "vitest";
import type { RunEventBody } from "@tessera/shared";
import { installInterrupt, interruptHook, InterruptedError, type Interrupt } from "./interrupt";
import type { ResumePointWriter } from "./resume/plan";
import type { BatchLogs, LoopControl } from "./loop/hooks";

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
  it("first signal asks for a stop and hands the next one back to the default action (immediate exit)", () => {
    const said: string[] = [];
    const before = process.listenerCount("SIGINT");
    const beforeTerm = process.listenerCount("SIGTERM");
    installed = installInterrupt({ say: (t) => said.push(t) });
    expect(process.listenerCount("SIGINT")).toBe(before + 1);
    expect(installed.requested()).toBe(false);
    process.emit("SIGINT", "SIGINT");
    expect(installed.requested()).toBe(true);
    expect(said[0]).toMatch(/stopping after this batch.*again quits at once/);
    expect(process.listenerCount("SIGINT")).toBe(before);
    expect(process.listenerCount("SIGTERM")).toBe(beforeTerm);
  });

  it("after a requested stop, the hook saves a resume point, writes run_interrupted, then throws (exit 130)", async () => {
    installed = installInterrupt({ say: () => undefined });
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
