/**
 * The block structure of the ResNets, without tfjs: the memory estimate (`tessera plan`) counts
 * layers from it and must not load TensorFlow.js.
 */
import type { BackboneName } from "@tessera/shared";

/** The block structure of one backbone. */
export interface ResNetSpec {
  block: "basic" | "bottleneck";
  /** Blocks in conv2..conv5. */
  blocks: [number, number, number, number];
}

/** Block counts from He et al. 2015, table 1 (and Keras Applications for 50/101/152). */
export const RESNET_SPECS = {
  resnet18: { block: "basic", blocks: [2, 2, 2, 2] },
  resnet34: { block: "basic", blocks: [3, 4, 6, 3] },
  resnet50: { block: "bottleneck", blocks: [3, 4, 6, 3] },
  resnet101: { block: "bottleneck", blocks: [3, 4, 23, 3] },
  resnet152: { block: "bottleneck", blocks: [3, 8, 36, 3] },
} as const satisfies Record<BackboneName, ResNetSpec>;

/** Base filters of conv2..conv5; bottleneck blocks output 4x this. */
export const STAGE_FILTERS = [64, 128, 256, 512] as const;

/** Scales a channel count by the width multiplier, never below 1. */
export function scaledChannels(channels: number, width: number): number {
  return Math.max(1, Math.round(channels * width));
}
