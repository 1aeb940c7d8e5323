/**
 * The inference engine: a frozen prefix's activations and a whole model's TTA predictions agree
 * between ONNX Runtime and tfjs (BatchNorm folded, NHWC in and out), and a model ORT cannot take
 * (or an ORT that does not load) falls back to tfjs with one line saying why.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "../tf";
import { buildModel, type BuiltModel } from "../model";
import { withRandomBnStatistics } from "../model/test-helpers";
import { cutAtFrozenPrefix } from "../train/activation-cache/model-cut";
import { relativeError } from "../export/onnx/test-helpers";
import { evaluate } from "./evaluate";
import { openInferer, setInferenceThreads, wantsOnnx } from "./engine";

const SIZE = 40;

/** A tiny ResNet whose BatchNorm layers have real (random, seeded) statistics, so folding matters. */
async function tiny(backbone: "resnet18" | "resnet50" = "resnet18"): Promise<BuiltModel> {
  const built = await buildModel(
    {
      backbone,
      pretrained: "none",
      width: 0.125,
      head: { dropout: 0.2, hidden: 0 },
      groups: { body: ["stem", "conv2", "conv3", "conv4"], late: ["conv5"], head: ["head"] },
    },
    5,
    { seed: 7 },
  );
  withRandomBnStatistics(built.model);
  return built;
}

const images = (n: number) => tf.randomNormal([n, SIZE, SIZE, 3], 0, 1, "float32", 5) as tf.Tensor4D;

beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterAll(() => tf.disposeVariables());

describe("inference engine", () => {
  it("auto picks ONNX Runtime where tfjs would run on wasm or cpu, tfjs on native and GPU backends", () => {
    expect(wantsOnnx("auto", "wasm")).toBe(true);
    expect(wantsOnnx("auto", "cpu")).toBe(true);
    expect(wantsOnnx("auto", "tensorflow")).toBe(false);
    expect(wantsOnnx("auto", "webgpu")).toBe(false);
    expect(wantsOnnx("tfjs", "cpu")).toBe(false);
    expect(wantsOnnx("onnx", "tensorflow")).toBe(true);
  });

  for (const [backbone, trainable, pooled] of [
    ["resnet18", ["head"], true],
    ["resnet50", ["late", "head"], false],
  ] as const) {
    it(`${backbone} frozen prefix (${pooled ? "to conv5" : "to conv4"}): ORT activations match tfjs within 1e-4 relative`, async () => {
      const built = await tiny(backbone);
      const cut = cutAtFrozenPrefix(built, [...trainable]);
      if ("reason" in cut) throw new Error(cut.reason);
      expect(cut.pooled).toBe(pooled);
      const x = images(3);
      const ort = await openInferer(cut.prefix, { engine: "onnx", size: SIZE, output: "features" });
      const tfjs = await openInferer(cut.prefix, { engine: "tfjs", size: SIZE, output: "features" });
      expect([ort.engine, tfjs.engine]).toEqual(["onnxruntime-cpu", "tfjs-cpu"]);
      const [a, b] = [await ort.run(x), await tfjs.run(x)];
      expect(a.shape).toEqual(b.shape); // NHWC out, as the cache stores it
      expect(b.shape.length).toBe(4);
      expect(relativeError(a.dataSync(), b.dataSync())).toBeLessThan(1e-4);
      tf.dispose([x, a, b]);
      await ort.dispose();
    });
  }

  it("eval with TTA: same top-1 and probabilities within 1e-4 on either engine, after a suffix re-applied the head", async () => {
    const built = await tiny();
    // The activation cache re-applies the trainable layers on a new input: the model must still convert.
    const cut = cutAtFrozenPrefix(built, ["late", "head"]);
    if ("reason" in cut) throw new Error(cut.reason);
    const x = images(6);
    const labels = [0, 1, 2, 3, 4, 0];
    const run = async (engine: "onnx" | "tfjs", tta: boolean) => {
      const inferer = await openInferer(built.model, { engine, size: SIZE, output: "classifier" });
      const ev = await evaluate({
        model: inferer,
        input: async (idx) => tf.gather(x, idx),
        indices: [0, 1, 2, 3, 4, 5],
        labels,
        classes: ["a", "b", "c", "d", "e"],
        size: SIZE,
        batchSize: 4,
        tta,
      });
      await inferer.dispose();
      return { ev, engine: inferer.engine };
    };
    for (const tta of [false, true]) {
      const [o, t] = [await run("onnx", tta), await run("tfjs", tta)];
      expect(o.engine).toBe("onnxruntime-cpu");
      expect(Array.from(o.ev.predicted)).toEqual(Array.from(t.ev.predicted));
      expect(relativeError(o.ev.probs, t.ev.probs)).toBeLessThan(1e-4);
    }
    // TTA really averages other views: it moves the probabilities by more than the engines disagree.
    const [single, tta] = [await run("tfjs", false), await run("tfjs", true)];
    expect(relativeError(tta.ev.probs, single.ev.probs)).toBeGreaterThan(1e-4);
    x.dispose();
  });

  it("gives ONNX Runtime the process's thread share (a sweep trial's --threads), else its own default", async () => {
    const built = await tiny();
    const options: unknown[] = [];
    const ort = await import("onnxruntime-node");
    // The real ONNX Runtime, with the session options recorded on the way in.
    const recording = {
      ...ort,
      InferenceSession: {
        create: (bytes: Uint8Array, o: Record<string, unknown>) => {
          options.push(o);
          return ort.InferenceSession.create(bytes, o);
        },
      },
    } as unknown as typeof ort;
    const open = async () => {
      const inferer = await openInferer(built.model, {
        engine: "onnx",
        size: SIZE,
        output: "classifier",
        loadOrt: async () => recording,
      });
      expect(inferer.engine).toBe("onnxruntime-cpu");
      await inferer.dispose();
    };
    try {
      setInferenceThreads(1);
      await open();
      setInferenceThreads(null);
      await open();
    } finally {
      setInferenceThreads(null);
    }
    expect(options[0]).toMatchObject({ intraOpNumThreads: 1, interOpNumThreads: 1 });
    expect(options[1]).not.toHaveProperty("intraOpNumThreads");
  });

  it("falls back to tfjs with one line when ONNX Runtime does not load", async () => {
    const built = await tiny();
    const lines: string[] = [];
    const inferer = await openInferer(built.model, {
      engine: "onnx",
      size: SIZE,
      output: "classifier",
      warn: (l) => lines.push(l),
      loadOrt: () => Promise.reject(new Error("libonnxruntime.so.1: cannot open shared object file")),
    });
    expect(inferer.engine).toBe("tfjs-cpu");
    expect(lines).toEqual([
      "inference: ONNX Runtime not used (libonnxruntime.so.1: cannot open shared object file); inferring with tfjs-cpu",
    ]);
    expect(inferer.fallback).toBe(lines[0]);
    const x = images(2);
    const y = await inferer.run(x);
    expect(y.shape).toEqual([2, 5]);
    tf.dispose([x, y]);
  });

  it("falls back to tfjs, naming the layer, when a layer has no ONNX mapping", async () => {
    const input = tf.input({ shape: [SIZE, SIZE, 3] });
    const pooled = tf.layers.averagePooling2d({ poolSize: 2, name: "odd_pool" }).apply(input) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({}).apply(pooled) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(gap) as tf.SymbolicTensor });
    const lines: string[] = [];
    const inferer = await openInferer(model, { size: SIZE, output: "classifier", warn: (l) => lines.push(l) });
    expect(inferer.engine).toBe("tfjs-cpu");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("cannot export layer 'odd_pool' (class AveragePooling2D) to ONNX");
    const x = images(1);
    const [a, b] = [await inferer.run(x), model.predict(x) as tf.Tensor];
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([x, a, b]);
  });
});
