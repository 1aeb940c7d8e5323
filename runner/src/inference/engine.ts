/**
 * The engine Tessera infers with through a model whose weights do not change while it runs: the
 * activation cache's frozen prefix, `eval`, `predict` and TTA. ONNX Runtime (CPU) ran a frozen
 * ResNet50 prefix 3.9-4.5x faster than tfjs-wasm on 2 cores (docs/export-and-serve.md), so `auto`
 * takes it where tfjs would run on wasm or cpu; on a native or GPU backend tfjs keeps the work.
 *
 * The model is converted with the ONNX exporter in memory (never written anywhere) with an NHWC
 * input, so a tfjs tensor's data goes in unchanged and the output comes back in tfjs's layout.
 * When ONNX Runtime cannot load or a layer has no ONNX mapping, tfjs runs and one line says why.
 */
import type { InferenceEngineName } from "@tessera/shared";
import * as tf from "../tf";
import { encodeOnnx, toOnnx } from "../export/onnx/graph";

import type * as OrtModule from "onnxruntime-node";

type Ort = typeof OrtModule;

let threadBudget: number | null = null;

/**
 * The CPU threads ONNX Runtime may use in this process: a run's `--threads` (every core from the
 * CLI, a share of them for a sweep's trial). ORT otherwise starts a thread per core in every
 * process, so two trials filling the activation cache at once ran four threads on two cores (their
 * joint fill was 1.4x slower than one process alone). null: ORT's default.
 */
export function setInferenceThreads(threads: number | null): void {
  threadBudget = threads;
}

/** A model ready to infer with, on whichever engine was chosen. */
export interface Inferer {
  /** What runs it: `onnxruntime-cpu` or `tfjs-<backend>`. */
  engine: string;
  /** Why ONNX Runtime was wanted but tfjs runs (the line that was printed); null otherwise. */
  fallback: string | null;
  /** The model's output (logits, or the features of a prefix) for normalised NHWC images; the caller disposes it. */
  run(x: tf.Tensor4D): Promise<tf.Tensor>;
  dispose(): Promise<void>;
}

/** What {@link openInferer} needs besides the model. */
export interface InfererOptions {
  /** @default "auto" */
  engine?: InferenceEngineName;
  /** The input side in pixels (the ONNX graph has explicit pads for it). */
  size: number;
  /** `classifier` for a whole model (logits out), `features` for a frozen prefix (its activations). */
  output: "classifier" | "features";
  /** Where the fallback line goes. @default stderr */
  warn?: (line: string) => void;
  /** Loads onnxruntime-node; a test replaces it to take the fallback path. */
  loadOrt?: () => Promise<Ort>;
}

/** Whether `engine` asks for ONNX Runtime with the tfjs backend `backend` active. */
export function wantsOnnx(engine: InferenceEngineName, backend: string): boolean {
  if (engine === "auto") return backend === "wasm" || backend === "cpu";
  return engine === "onnx";
}

/** A tfjs model as an inferer (inference mode: dropout off, BatchNorm on its moving statistics). */
export function tfjsInferer(model: tf.LayersModel, fallback: string | null = null): Inferer {
  return {
    engine: `tfjs-${tf.getBackend()}`,
    fallback,
    run: async (x) => tf.tidy(() => model.apply(x, { training: false }) as tf.Tensor),
    dispose: async () => undefined,
  };
}

/**
 * Opens `model` on the engine `opts.engine` picks. Never throws for ONNX Runtime's sake: a failure
 * to load it or to convert the model falls back to tfjs (see {@link Inferer.fallback}).
 */
export async function openInferer(model: tf.LayersModel, opts: InfererOptions): Promise<Inferer> {
  if (!wantsOnnx(opts.engine ?? "auto", tf.getBackend())) return tfjsInferer(model);
  let session: OrtModule.InferenceSession;
  let ort: Ort;
  try {
    ort = await (opts.loadOrt ?? (() => import("onnxruntime-node")))();
    const bytes = encodeOnnx(toOnnx(model, { size: opts.size, layout: "NHWC", output: opts.output }));
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ["cpu"],
      // One inference at a time: parallel work goes inside the operators.
      ...(threadBudget === null ? {} : { intraOpNumThreads: threadBudget, interOpNumThreads: 1 }),
    });
  } catch (error) {
    const why = (error as Error).message.split("\n")[0];
    const line = `inference: ONNX Runtime not used (${why}); inferring with tfjs-${tf.getBackend()}`;
    (opts.warn ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
    return tfjsInferer(model, line);
  }
  const outName = opts.output === "features" ? "features" : "logits";
  return {
    engine: "onnxruntime-cpu",
    fallback: null,
    async run(x) {
      const data = (await x.data()) as Float32Array;
      const out = await session.run({ input: new ort.Tensor("float32", data, x.shape) });
      const y = out[outName]!;
      // A copy: the output may live in memory ONNX Runtime reuses, and tfjs keeps what it is given.
      return tf.tensor((y.data as Float32Array).slice(), y.dims as number[]);
    },
    dispose: () => session.release(),
  };
}
