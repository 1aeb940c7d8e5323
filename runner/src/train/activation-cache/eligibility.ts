/**
 * Which stages may use the frozen-prefix activation cache, without tfjs: `tessera plan`'s memory
 * check asks where a stage's taped forward starts and must not load TensorFlow.js.
 */
import type { ResNetPart, ResolvedAugment, ResolvedConfig, ResolvedStage } from "@tessera/shared";

/** Why a stage can or cannot use the cache. */
export function cacheEligibility(stage: ResolvedStage, augment: ResolvedAugment): string | null {
  if (stage.train_bn) return "train_bn is true: frozen BatchNorm layers still train";
  if (augment.crop) return "random resized crops make every epoch's input new";
  if (augment.stain_jitter > 0 || augment.brightness > 0 || augment.contrast > 0) {
    return "colour/stain jitter makes every epoch's input new";
  }
  return null;
}

/**
 * Where a stage's taped (trained) forward pass starts, for the memory check: the first part of its
 * first trainable group when the frozen prefix is served from the cache, else the stem.
 */
export function firstTapedPart(config: ResolvedConfig, stage: ResolvedStage): ResNetPart {
  if (cacheEligibility(stage, config.data.augment) !== null) return "stem";
  const first = Object.entries(config.model.groups).find(([group]) => stage.trainable.includes(group));
  return first?.[1][0] ?? "stem";
}
