/**
 * ResNet 18..152 with the tfjs-layers functional API and the layer names of current Keras
 * Applications (`conv1_conv`, `conv2_block1_1_conv`, ..., `conv5_block3_out`), so weights
 * converted from Keras with `tensorflowjs_converter` load by name. ResNet-18/34 (BasicBlock, not in
 * Keras) use the same scheme: `_1_conv`/`_2_conv` are the two 3x3 convolutions, `_0_conv` the
 * projection shortcut. The input is `[null, null, null, 3]`: one model serves every image size.
 */
import * as tf from "../tf";
import type { BackboneName } from "@tessera/shared";
import { RESNET_SPECS, STAGE_FILTERS, scaledChannels, type ResNetSpec } from "./resnet-spec";

export { RESNET_SPECS, STAGE_FILTERS, scaledChannels, type ResNetSpec } from "./resnet-spec";

/** Options of {@link buildBackbone}. */
export interface BackboneOptions {
  /** Channel-width multiplier (tiny nets for tests and demos). @default 1 */
  width?: number;
  /** BatchNorm epsilon; pretrained weights dictate theirs (Keras 2.2: 1e-3). @default 1.001e-5 */
  bnEpsilon?: number;
  /**
   * BatchNorm moving-average momentum. 0.9 (PyTorch's 0.1) rather than Keras's 0.99 so the moving
   * statistics catch up within the few hundred steps of a fine-tuning run.
   * @default 0.9
   */
  bnMomentum?: number;
  /** Seed of the weight initialisers; each layer gets `seed + its index`. @default 42 */
  seed?: number;
  /**
   * Draw the convolutions' random initial weights. False when pretrained weights will replace
   * every one of them (loadWeightsByName fails the build if any backbone weight is missing):
   * drawing ResNet50's 23M He-normal values took 2 s of every run's start. @default true
   */
  initialize?: boolean;
}

/** Builds the convolutional body; returns the input and the last block's output. */
export function buildBackbone(
  backbone: BackboneName,
  opts: BackboneOptions = {},
): { input: tf.SymbolicTensor; output: tf.SymbolicTensor } {
  const spec: ResNetSpec = RESNET_SPECS[backbone];
  const width = opts.width ?? 1;
  const epsilon = opts.bnEpsilon ?? 1.001e-5;
  const momentum = opts.bnMomentum ?? 0.9;
  let seed = opts.seed ?? 42;
  const initialize = opts.initialize ?? true;
  const ch = (c: number) => scaledChannels(c, width);

  const conv = (x: tf.SymbolicTensor, filters: number, kernel: number, strides: number, name: string) =>
    tf.layers
      .conv2d({
        filters,
        kernelSize: kernel,
        strides,
        padding: kernel === 1 || name === "conv1_conv" ? "valid" : "same",
        kernelInitializer: initialize ? tf.initializers.heNormal({ seed: seed++ }) : "zeros",
        name,
      })
      .apply(x) as tf.SymbolicTensor;
  const bn = (x: tf.SymbolicTensor, name: string) =>
    tf.layers.batchNormalization({ axis: 3, epsilon, momentum, name }).apply(x) as tf.SymbolicTensor;
  const relu = (x: tf.SymbolicTensor, name: string) =>
    tf.layers.activation({ activation: "relu", name }).apply(x) as tf.SymbolicTensor;

  const input = tf.input({ shape: [null, null, 3], name: "input_1" });
  let x = tf.layers
    .zeroPadding2d({
      padding: [
        [3, 3],
        [3, 3],
      ],
      name: "conv1_pad",
    })
    .apply(input) as tf.SymbolicTensor;
  x = relu(bn(conv(x, ch(64), 7, 2, "conv1_conv"), "conv1_bn"), "conv1_relu");
  x = tf.layers
    .zeroPadding2d({
      padding: [
        [1, 1],
        [1, 1],
      ],
      name: "pool1_pad",
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: "pool1_pool" }).apply(x) as tf.SymbolicTensor;

  let channels = ch(64);
  spec.blocks.forEach((count, s) => {
    const filters = ch(STAGE_FILTERS[s] ?? 64);
    const out = spec.block === "bottleneck" ? 4 * filters : filters;
    for (let b = 1; b <= count; b++) {
      const name = `conv${s + 2}_block${b}`;
      const stride = b === 1 && s > 0 ? 2 : 1;
      let shortcut = x;
      if (b === 1 && (stride !== 1 || channels !== out)) {
        shortcut = bn(conv(x, out, 1, stride, `${name}_0_conv`), `${name}_0_bn`);
      }
      let y: tf.SymbolicTensor;
      if (spec.block === "bottleneck") {
        // Keras (ResNet v1) puts the stride on the first 1x1 convolution.
        y = relu(bn(conv(x, filters, 1, stride, `${name}_1_conv`), `${name}_1_bn`), `${name}_1_relu`);
        y = relu(bn(conv(y, filters, 3, 1, `${name}_2_conv`), `${name}_2_bn`), `${name}_2_relu`);
        y = bn(conv(y, out, 1, 1, `${name}_3_conv`), `${name}_3_bn`);
      } else {
        y = relu(bn(conv(x, filters, 3, stride, `${name}_1_conv`), `${name}_1_bn`), `${name}_1_relu`);
        y = bn(conv(y, filters, 3, 1, `${name}_2_conv`), `${name}_2_bn`);
      }
      x = tf.layers.add({ name: `${name}_add` }).apply([shortcut, y]) as tf.SymbolicTensor;
      x = relu(x, `${name}_out`);
      channels = out;
    }
  });
  return { input, output: x };
}
