/** Fixtures for the run-store tests: a minimal resolved config, a temp runs dir, event bodies, the CLI in-process. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResolvedConfig, RunEventBody } from "@tessera/shared";
import { vi } from "vitest";
import { main } from "../cli/main";
import type { RunSource } from "./writer";

export function tempRunsDir(): string {
  return mkdtempSync(join(tmpdir(), "tessera-runs-"));
}

export function fakeSource(name = "demo"): RunSource {
  // Only the fields the run store reads; the trainer's tests use real resolved configs.
  const config = { name, seed: 7 } as ResolvedConfig;
  return { config, configHash: "sha256:abc", resolvedYaml: `name: ${name}\nseed: 7\n` };
}

export function epochBody(stage: string, epoch: number, acc: number): RunEventBody {
  return {
    type: "epoch",
    stage,
    epoch,
    step: (epoch + 1) * 10,
    train_loss: 1,
    valid_loss: 1,
    valid_accuracy: acc,
    per_class: [],
    confusion: [],
    seconds: 1,
  };
}

export function batchBody(stage: string, epoch: number, step: number): RunEventBody {
  return { type: "batch", stage, epoch, step, loss: 0.5, lr: { head: 1e-3 }, images_per_s: 10 };
}

/** A one-group-LR `stage_started` body: 2 epochs of 4 steps at size 32, head trainable. */
export function stageStartedBody(stage: string, index = 0): RunEventBody {
  return {
    type: "stage_started",
    stage,
    index,
    size: 32,
    epochs: 2,
    steps_per_epoch: 4,
    trainable: ["head"],
    lr: { body: 1e-4, head: 1e-3 },
    schedule: { name: "constant" },
  };
}

/** Runs the `tessera` CLI in-process (`main`) and captures what it writes to stdout and stderr. */
export async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}
