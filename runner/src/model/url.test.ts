import { createServer, type Server } from "node:http";
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import * as tf from "../tf";
import type { ResolvedModel } from "@tessera/shared";
import { buildModel, fileHandler } from "./index";

const spec = (pretrained: string): ResolvedModel => ({
  backbone: "resnet18",
  pretrained,
  width: 0.0625,
  head: { dropout: 0, hidden: 0 },
  groups: { body: ["stem", "conv2", "conv3", "conv4", "conv5"], head: ["head"] },
});

let root: string;
let server: Server;
let base: string;
let requests = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "tessera-url-"));
  const source = await buildModel(spec("none"), 3, { seed: 5 });
  await source.model.save(fileHandler(path.join(root, "served")));
  server = createServer((req, res) => {
    requests++;
    const m = /^\/m\/([\w.-]+)$/.exec(req.url ?? "");
    readFile(path.join(root, "served", m ? m[1]! : "-")).then(
      (bytes) => res.writeHead(200, { "content-length": bytes.length }).end(bytes),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  base = `http://127.0.0.1:${address.port}/m`;
});

afterAll(async () => {
  server.close();
  await rm(root, { recursive: true, force: true });
});

test("pretrained: <URL> downloads model.json and shards once into the cache and loads them", async () => {
  const cacheDir = path.join(root, "cache");
  const x = tf.randomUniform([1, 32, 32, 3], 0, 1, "float32", 4) as tf.Tensor4D;
  const source = await buildModel(spec("none"), 3, { seed: 5 });
  const loaded = await buildModel(spec(`${base}/model.json`), 3, { seed: 9, cacheDir });
  expect(loaded.weightsSource).toBe(`${base}/model.json`);
  expect(Array.from((loaded.model.predict(x) as tf.Tensor).dataSync())).toEqual(
    Array.from((source.model.predict(x) as tf.Tensor).dataSync()),
  );
  expect(requests).toBe(2); // model.json + weights.bin
  await buildModel(spec(`${base}/model.json`), 3, { cacheDir });
  expect(requests).toBe(2); // cached
  expect(existsSync(path.join(cacheDir, "weights"))).toBe(true);
});

test("a URL that answers 404 is a clear error", async () => {
  await expect(buildModel(spec(`${base}/nothing/model.json`), 3, { cacheDir: path.join(root, "c2") })).rejects.toThrow(
    /model\.pretrained: http:\/\/127\.0\.0\.1:\d+\/m\/nothing\/model\.json answered HTTP 404/,
  );
});
