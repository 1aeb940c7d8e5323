/** Fixtures for the run-store tests: a minimal resolved config and a temp runs dir. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResolvedConfig, RunEventBody } from "@tessera/shared";
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
