import { describe, expect, test } from "vitest";
import { ExitError } from "../errors";
import type { ResolvedConfig, ResolvedStage } from "@tessera/shared";
import {
  checkConfigMemory,
  checkMemoryFits,
  countResNet,
  estimateMemory,
  largestFittingBatch,
  WASM_HEAP_BYTES,
} from "./memory";

describe("memory estimate", () => {
  test("parameter counts match the Keras models", () => {
    // Keras ResNet50 without its 1000-way classifier (2,049,000): 25,636,712 - 2,049,000.
    expect(countResNet("resnet50", 1, 224).params).toBe(23_587_712);
  });

  test("reproduces the measured wasm limits of ResNet-50", () => {
    const fits = (size: number, batch: number) =>
      estimateMemory({ backbone: "resnet50", width: 1, size, batch, mode: "train" }).total <= 0.95 * WASM_HEAP_BYTES;
    expect(fits(128, 8)).toBe(true);
    expect(fits(224, 4)).toBe(true);
    expect(fits(128, 16)).toBe(false);
    expect(fits(224, 8)).toBe(false);
    // Measured here (README): 160 x 8 ran with a 3683 MiB heap, 176 x 8 aborted.
    expect(fits(160, 8)).toBe(true);
    expect(fits(176, 8)).toBe(false);
  });

  test("checkMemoryFits names model, size, batch, estimate and the fix", () => {
    const call = () => checkMemoryFits({ backbone: "resnet152", width: 1, size: 224, batch: 32, backend: "wasm" });
    expect(call).toThrow(ExitError);
    expect(call).toThrow(
      /resnet152 at 224 px with a batch of 32 needs about \d+\.\d GiB .* set train\.micro_batch to \d+ or less/,
    );
  });

  test("only wasm has a hard limit; tiny nets pass", () => {
    expect(() =>
      checkMemoryFits({ backbone: "resnet152", width: 1, size: 224, batch: 32, backend: "tensorflow" }),
    ).not.toThrow();
    expect(() =>
      checkMemoryFits({ backbone: "resnet18", width: 0.25, size: 64, batch: 32, backend: "wasm" }),
    ).not.toThrow();
  });

  test("checkConfigMemory checks each stage at its micro-batch", () => {
    const stage = (name: string, size: number, batch_size: number) => ({ name, size, batch_size }) as ResolvedStage;
    const config = {
      model: { backbone: "resnet50", width: 1 },
      train: { micro_batch: 8, stages: [stage("head", 128, 32), stage("big", 224, 32)] },
    } as unknown as ResolvedConfig;
    expect(() => checkConfigMemory(config, "wasm")).toThrow(
      /^stage "big": resnet50 at 224 px with a batch of 8 .* train\.micro_batch to 4 or less/,
    );
    config.train.micro_batch = 4;
    expect(() => checkConfigMemory(config, "wasm")).not.toThrow();
  });

  test("a frozen prefix outside the tape (activation cache) only counts the trained suffix", () => {
    const full = estimateMemory({ backbone: "resnet50", width: 1, size: 224, batch: 16, mode: "train" });
    const head = estimateMemory({
      backbone: "resnet50",
      width: 1,
      size: 224,
      batch: 16,
      mode: "train",
      fromPart: "head",
    });
    const late = estimateMemory({
      backbone: "resnet50",
      width: 1,
      size: 224,
      batch: 16,
      mode: "train",
      fromPart: "conv4",
    });
    expect(head.total).toBeLessThan(late.total);
    expect(late.total).toBeLessThan(full.total);
    expect(head.total).toBeLessThan(WASM_HEAP_BYTES);
    expect(full.total).toBeGreaterThan(WASM_HEAP_BYTES);
  });

  test("recomputation: segments add up to the activations, the estimate drops and the fitting batch grows", () => {
    const c = countResNet("resnet50", 1, 224);
    expect(c.segments).toHaveLength(1 + 16);
    expect(c.segments.reduce((n, s) => n + s.taped, 0)).toBe(c.activations);
    const est = (batch: number, recompute: boolean) =>
      estimateMemory({ backbone: "resnet50", width: 1, size: 224, batch, mode: "train", recompute });
    expect(est(8, true).activations).toBeLessThan(est(8, false).activations / 4);
    const largest = (recompute: boolean) => {
      let b = 1;
      while (est(b + 1, recompute).total <= 0.95 * WASM_HEAP_BYTES) b++;
      return b;
    };
    expect(largest(false)).toBe(4);
    expect(largest(true)).toBeGreaterThanOrEqual(16);
  });

  test("the too-big error suggests recomputation with the batch it allows", () => {
    const call = () => checkMemoryFits({ backbone: "resnet50", width: 1, size: 224, batch: 16, backend: "wasm" });
    expect(call).toThrow(/set train\.recompute: true \(about \d+ fit\)/);
    expect(() =>
      checkMemoryFits({ backbone: "resnet50", width: 1, size: 224, batch: 16, backend: "wasm", recompute: true }),
    ).not.toThrow();
  });

  test("a batch of 1e9 answers at once with the largest batch that fits (it counted down one at a time)", () => {
    const started = performance.now();
    const call = () =>
      checkMemoryFits({ backbone: "resnet18", width: 0.25, size: 32, batch: 1_000_000_000, backend: "wasm" });
    expect(call).toThrow(/with a batch of 1000000000 .* set train\.micro_batch to \d+ or less/);
    expect(performance.now() - started).toBeLessThan(1000);
    const opts = { backbone: "resnet50", width: 1, size: 224, mode: "train" } as const;
    const fits = largestFittingBatch(opts, 0.95 * WASM_HEAP_BYTES);
    const total = (batch: number) => estimateMemory({ ...opts, batch }).total;
    expect(total(fits)).toBeLessThanOrEqual(0.95 * WASM_HEAP_BYTES);
    expect(total(fits + 1)).toBeGreaterThan(0.95 * WASM_HEAP_BYTES);
  });
});
