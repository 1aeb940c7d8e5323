/**
 * Maps layer names of other ResNet implementations onto ours (current Keras Applications):
 * Keras 2.2 `conv1`, `bn_conv1`, `res2a_branch2a`, `bn4b12_branch2c` (caffe-style 101/152),
 * `fc1000`; keras-applications 1.0.x `probs` (the published resnet101/152 h5 files); tf.keras
 * `predictions`. Anything else maps to itself.
 */
import { LOGITS_LAYER } from "./head";

const BRANCH: Record<string, number> = { "1": 0, "2a": 1, "2b": 2, "2c": 3 };

/** Our name for a source layer name. */
export function mapLayerName(name: string): string {
  if (name === "conv1") return "conv1_conv";
  if (name === "bn_conv1") return "conv1_bn";
  if (name === "fc1000" || name === "predictions" || name === "probs") return LOGITS_LAYER;
  const m = /^(res|bn)([2-5])([a-z])(\d*)_branch(1|2a|2b|2c)$/.exec(name);
  if (!m) return name;
  const [, kind, stage, letter, digits, branch] = m as unknown as [string, string, string, string, string, string];
  // `a` is the first block; caffe-style deep nets continue `b1`, `b2`, ... instead of `b`, `c`, ...
  const block = digits ? Number(digits) + 1 : letter.charCodeAt(0) - 96;
  return `conv${stage}_block${block}_${BRANCH[branch]}_${kind === "res" ? "conv" : "bn"}`;
}

/**
 * `layer/param` (optionally `:0`-suffixed, optionally under scopes such as `resnet50/`, as newer
 * converters write them) -> our `layer/param`.
 */
export function mapWeightName(name: string): string {
  const parts = name.replace(/:\d+$/, "").split("/");
  if (parts.length < 2) return parts.join("/");
  return `${mapLayerName(parts.at(-2)!)}/${parts.at(-1)!}`;
}
