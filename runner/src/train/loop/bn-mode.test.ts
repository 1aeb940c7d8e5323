// `bn:` of a stage's trainable groups, through the real stage loop on a tiny ResNet: which of the
// BatchNorm weights (gamma, beta, moving mean, moving variance) a whole-network stage changes.
import { describe, expect, it } from "vitest";
import type { BnMode } from "@tessera/shared";
import { isBatchNorm } from "../../model";
import { bnLayerState } from "../../model/bn-mode";
import { randomData, runTinyStage, tinyResNet, tinyStage } from "./tiny-stage.fixture";

/** Every BN layer's weights by kind, flattened, plus every other layer's weights. */
async function snapshot(built: Awaited<ReturnType<typeof tinyResNet>>) {
  const bn = {
    gamma: [] as number[],
    beta: [] as number[],
    moving_mean: [] as number[],
    moving_variance: [] as number[],
  };
  const other: number[] = [];
  for (const layer of built.model.layers) {
    for (const w of layer.weights) {
      const values = Array.from(await w.read().data());
      const kind = w.originalName.split("/").at(-1) as keyof typeof bn;
      if (isBatchNorm(layer) && kind in bn) bn[kind].push(...values);
      else other.push(...values);
    }
  }
  return { ...bn, other };
}

async function afterStage(bn: BnMode) {
  const built = await tinyResNet();
  const before = await snapshot(built);
  await runTinyStage(built, randomData(12, 32), tinyStage(32, { bn }));
  return { before, after: await snapshot(built) };
}

describe("bn: a stage's BatchNorm mode for trainable groups", () => {
  it("inference: moving statistics stay bit-identical while gamma/beta and the convolutions train", async () => {
    const { before, after } = await afterStage("inference");
    expect(after.moving_mean).toEqual(before.moving_mean);
    expect(after.moving_variance).toEqual(before.moving_variance);
    expect(after.gamma).not.toEqual(before.gamma);
    expect(after.beta).not.toEqual(before.beta);
    expect(after.other).not.toEqual(before.other);
  });

  it("frozen: gamma/beta stay too, the rest of the network still trains", async () => {
    const { before, after } = await afterStage("frozen");
    expect(after.moving_mean).toEqual(before.moving_mean);
    expect(after.moving_variance).toEqual(before.moving_variance);
    expect(after.gamma).toEqual(before.gamma);
    expect(after.beta).toEqual(before.beta);
    expect(after.other).not.toEqual(before.other);
  });

  it("train (the default): moving statistics follow the batches", async () => {
    const { before, after } = await afterStage("train");
    expect(after.moving_mean).not.toEqual(before.moving_mean);
    expect(after.moving_variance).not.toEqual(before.moving_variance);
    expect(after.gamma).not.toEqual(before.gamma);
  });

  it("leaves frozen groups' BatchNorm to train_bn", () => {
    expect(bnLayerState(false, true, "inference")).toEqual({ trainable: true, inference: false });
    expect(bnLayerState(false, false, "train")).toEqual({ trainable: false, inference: true });
    expect(bnLayerState(null, true, "train")).toEqual({ trainable: false, inference: true });
    expect(bnLayerState(true, false, "inference")).toEqual({ trainable: true, inference: true });
  });
});
