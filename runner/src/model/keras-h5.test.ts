import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import h5wasm from "h5wasm/node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as tf from "../tf";
import type { ResolvedModel } from "@tessera/shared";
import { buildModel } from "./index";
import { convertKerasH5, readKerasH5 } from "./keras-h5";
import { fetchKerasH5 } from "./fetch-h5";
import { WeightsUnreachableError } from "./cache";

const WIDTH = 1 / 16;
const spec = (pretrained: string): ResolvedModel => ({
  backbone: "resnet50",
  pretrained,
  width: WIDTH,
  head: { dropout: 0, hidden: 0 },
  groups: { body: ["stem", "conv2", "conv3", "conv4", "conv5"], head: ["head"] },
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tessera-h5-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/**
 * Writes a model's weights in the layout Keras's `save_weights` (h5) uses, with the classifier
 * named `predictions` as in Keras Applications.
 */
async function writeKerasH5(model: tf.LayersModel, file: string): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(file, "w");
  const rename = (n: string) => (n === "logits" ? "predictions" : n);
  f.create_attribute(
    "layer_names",
    model.layers.map((l) => rename(l.name)),
  );
  for (const layer of model.layers) {
    const g = f.create_group(rename(layer.name));
    const names = layer.weights.map((w) => `${rename(layer.name)}/${w.originalName.split("/").at(-1)}:0`);
    if (names.length > 0) g.create_attribute("weight_names", names);
    const inner = names.length > 0 ? g.create_group(rename(layer.name)) : null;
    layer.getWeights().forEach((t, i) => {
      const name = names[i]!.split("/")[1]!;
      inner!.create_dataset({ name, data: t.dataSync() as Float32Array, shape: t.shape, dtype: "<f" });
    });
  }
  f.close();
}

describe("Keras h5 weights", () => {
  test("reads the layout h5py writes for Keras (fixed-length byte-string attributes, empty weight lists)", async () => {
    const fixture = path.join(import.meta.dirname, "fixtures", "keras-layout.h5");
    const raw = await readKerasH5(fixture);
    expect(Object.keys(raw).sort()).toEqual([
      "conv1_conv/bias:0",
      "conv1_conv/kernel:0",
      "probs/bias:0",
      "probs/kernel:0",
    ]);
    expect(raw["conv1_conv/kernel:0"]?.shape).toEqual([2, 2, 3, 4]);
    expect(Array.from(raw["conv1_conv/kernel:0"]!.dataSync().slice(0, 3))).toEqual([0, 0.1, 0.2].map(Math.fround));
    expect(Array.from(raw["conv1_conv/bias:0"]!.dataSync())).toEqual([0.5, -0.5, 1.5, -1.5]);
    expect(raw["probs/kernel:0"]?.shape).toEqual([4, 3]);
    tf.dispose(Object.values(raw));
  });

  test("converted into a tfjs model they load into our builder and predict as the source", async () => {
    const source = await buildModel(spec("none"), 1000, { seed: 3 });
    const h5 = path.join(dir, "resnet50_weights.h5");
    await writeKerasH5(source.model, h5);

    const raw = await readKerasH5(h5);
    expect(raw["conv2_block1_0_conv/kernel:0"]?.shape).toEqual([1, 1, 4, 16]);
    expect(raw["predictions/bias:0"]?.shape).toEqual([1000]);
    tf.dispose(Object.values(raw));

    const out = path.join(dir, "converted");
    await convertKerasH5(h5, "resnet50", out, { width: WIDTH });
    const loaded = await buildModel(spec(out), 1000, { seed: 9 });
    expect(loaded.preprocessing).toBe("caffe");
    expect(loaded.loadReport?.skipped).toEqual([]);
    const x = tf.randomUniform([1, 48, 48, 3], -100, 100, "float32", 5);
    const want = (source.model.predict(x) as tf.Tensor).dataSync();
    const got = (loaded.model.predict(x) as tf.Tensor).dataSync();
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
  });

  test("a file that is not HDF5 is a clear error", async () => {
    const bad = path.join(dir, "bad.h5");
    await writeFile(bad, "not hdf5");
    await expect(readKerasH5(bad)).rejects.toThrow(/bad\.h5: not a readable HDF5 file/);
  });

  test("fetchKerasH5 downloads the h5 once, checks its md5, converts and caches it", async () => {
    const source = await buildModel(spec("none"), 1000, { seed: 4 });
    const served = path.join(dir, "served");
    await mkdir(served, { recursive: true });
    const h5 = path.join(served, "resnet50_weights_tf_dim_ordering_tf_kernels.h5");
    await writeKerasH5(source.model, h5);
    const bytes = await readFile(h5);
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { "content-length": bytes.length }).end(bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/x/${path.basename(h5)}`;
    const md5 = createHash("md5").update(bytes).digest("hex");
    try {
      const finalDir = path.join(dir, "cache", "weights", "resnet50-imagenet");
      await mkdir(path.dirname(finalDir), { recursive: true });
      const wrong = { kind: "keras-h5", url, md5: "0".repeat(32), preprocessing: "caffe" } as const;
      await expect(fetchKerasH5("resnet50", wrong, finalDir, { width: WIDTH })).rejects.toThrow(
        /has md5 [0-9a-f]{32}, expected 0{32}/,
      );
      expect(requests).toBe(1);
      await fetchKerasH5("resnet50", { ...wrong, md5 }, finalDir, { width: WIDTH });
      expect(requests).toBe(1); // the verified h5 stays in the cache
      expect(existsSync(path.join(finalDir, "model.json"))).toBe(true);
      const loaded = await buildModel(spec(finalDir), 1000);
      const x = tf.randomUniform([1, 40, 40, 3], -50, 50, "float32", 6);
      const want = (source.model.predict(x) as tf.Tensor).dataSync();
      (loaded.model.predict(x) as tf.Tensor).dataSync().forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    } finally {
      server.close();
    }
  });

  test("an unreachable h5 URL says how to get the file by hand or convert with Python", async () => {
    const finalDir = path.join(dir, "cache2", "weights", "resnet152-imagenet");
    await mkdir(path.dirname(finalDir), { recursive: true });
    const source = {
      kind: "keras-h5",
      url: "http://127.0.0.1:9/w/r152.h5",
      md5: "1".repeat(32),
      preprocessing: "caffe",
    } as const;
    const error = await fetchKerasH5("resnet152", source, finalDir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsUnreachableError);
    expect((error as Error).message).toMatch(
      /cannot download http:\/\/127\.0\.0\.1:9\/w\/r152\.h5.*download that file by other means to .*r152\.h5 \(md5 1{32}\)/s,
    );
    expect((error as Error).message).toMatch(/tensorflowjs_converter --input_format keras resnet152\.h5/);
  });
});
