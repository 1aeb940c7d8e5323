/**
 * `tessera serve` on loopback over a tiny trained run: every input shape of POST /predict gives
 * `tessera predict`'s label; concurrent requests are batched; a corrupt image is a 422 naming it,
 * an oversized one a 413, a missing token a 401, a flood 503s past the bounded queue, a path
 * outside the allowed root a 403 — and after each the server still answers. `--engine onnx`
 * (converted in memory) gives the same labels as tfjs.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExperiment } from "../runner/src/train";
import { openRunModel, predictFiles } from "../runner/src/inference/predict";
import { openEngine, startServer, type Engine } from "../runner/src/serve";

const CONFIG = `
name: serve
seed: 4
backend: wasm
data: { source: synthetic, classes: 3, per_class: 10, image_size: 32 }
model: { backbone: resnet18, width: 0.125 }
train:
  batch_size: 10
  stages:
    - { name: only, trainable: all, size: 32, epochs: 4, lr: 1e-2 }
`;

let dir: string;
let runDir: string;
let images: string[];
let expected: string[];
const servers: { close: () => Promise<unknown> }[] = [];
const engines: Engine[] = [];

async function serve(opts: Parameters<typeof startServer>[1] = {}, engineName: "tfjs" | "onnx" = "tfjs") {
  const engine = await openEngine(runDir, engineName);
  engines.push(engine);
  const { url, app } = await startServer(engine, { port: 0, ...opts });
  servers.push(app);
  return url;
}

type PredictBody = {
  predictions: { name: string; label: string; top: { class: string }[]; probabilities: Record<string, number> }[];
  timing: { batch_sizes: number[] };
  error?: string;
};
const post = async (url: string, body: RequestInit["body"], headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/predict`, { method: "POST", body, headers });
  return { status: res.status, body: (await res.json()) as PredictBody };
};
const png = (i: number) => new Uint8Array(readFileSync(images[i]!));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tessera-serve-"));
  writeFileSync(join(dir, "c.yaml"), CONFIG);
  ({ runDir } = await runExperiment({ configFile: join(dir, "c.yaml"), runsDir: join(dir, "runs"), cacheDir: false }));
  mkdirSync(join(dir, "images"));
  images = [];
  for (let i = 0; i < 6; i++) {
    // Smooth colour gradients, different per image, as 40x40 PNGs (resized to 32 by the server).
    const px = new Uint8Array(40 * 40 * 3).map((_, k) => ((k % 3) * 80 + i * 37 + Math.floor(k / 120) * (i + 1)) % 256);
    const file = join(dir, "images", `tile${i}.png`);
    await sharp(px, { raw: { width: 40, height: 40, channels: 3 } })
      .png()
      .toFile(file);
    images.push(file);
  }
  const m = await openRunModel(runDir);
  expected = (await predictFiles(m, images)).predictions.map((p) => p.label);
  // Same-label checks prove little if the model says one class for everything.
  expect(new Set(expected).size).toBeGreaterThan(1);
  m.model.dispose();
});

afterAll(async () => {
  for (const s of servers) await s.close();
  for (const e of engines) await e.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("tessera serve", () => {
  let url: string;
  beforeAll(async () => {
    url = await serve({ allowRoot: join(dir, "images"), maxImageBytes: 64 * 1024, maxPixels: 1_000_000 });
  });

  it("GET /health and GET /model describe the engine, classes and input", async () => {
    expect(await (await fetch(`${url}/health`)).json()).toMatchObject({
      status: "ok",
      engine: expect.stringMatching(/^tfjs-/),
    });
    const model = (await (await fetch(`${url}/model`)).json()) as {
      classes: string[];
      input: { size: number };
      provenance: object;
    };
    expect(model.classes).toHaveLength(3);
    expect(model.input.size).toBe(32);
    expect(model.provenance).toMatchObject({ run_folder: runDir });
  });

  it("raw bytes, multipart, JSON base64 and JSON paths all give tessera predict's labels", async () => {
    const raw = await post(url, png(0), { "content-type": "image/png", "x-image-name": "tile0.png" });
    expect(raw.status).toBe(200);
    expect(raw.body.predictions[0]).toMatchObject({ name: "tile0.png", label: expected[0] });
    expect(Object.values(raw.body.predictions[0]!.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(raw.body.predictions[0]!.top).toHaveLength(3);

    const form = new FormData();
    for (const i of [1, 2]) form.append("image", new Blob([png(i)], { type: "image/png" }), `tile${i}.png`);
    const multi = await post(url, form);
    expect(multi.status).toBe(200);
    expect(multi.body.predictions.map((p) => [p.name, p.label])).toEqual([
      ["tile1.png", expected[1]],
      ["tile2.png", expected[2]],
    ]);

    const json = await post(
      url,
      JSON.stringify({
        images: [{ name: "b64", base64: Buffer.from(png(3)).toString("base64") }, { path: "tile4.png" }],
      }),
      { "content-type": "application/json" },
    );
    expect(json.status).toBe(200);
    expect(json.body.predictions.map((p) => p.label)).toEqual([expected[3], expected[4]]);
  });

  it("batches concurrent requests into shared inference calls", async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => post(url, png(i % 6), { "content-type": "image/png" })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(results.map((r) => r.body.predictions[0]!.label)).toEqual(
      Array.from({ length: 12 }, (_, i) => expected[i % 6]),
    );
    expect(Math.max(...results.flatMap((r) => r.body.timing.batch_sizes))).toBeGreaterThan(1);
  });

  it("a corrupt image is a 422 naming it; a path outside the root a 403; the server keeps serving", async () => {
    const bad = await post(url, Buffer.from("this is not a png at all"), {
      "content-type": "image/png",
      "x-image-name": "broken.png",
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatch(/^broken\.png: not an image/);
    const truncated = await post(url, png(0).slice(0, 60), { "content-type": "image/png", "x-image-name": "cut.png" });
    expect(truncated.status).toBe(422);
    expect(truncated.body.error).toContain("cut.png");
    const outside = await post(url, JSON.stringify({ images: [{ path: "../c.yaml" }] }), {
      "content-type": "application/json",
    });
    expect(outside.status).toBe(403);
    expect(outside.body.error).toContain("outside the allowed root");
    const notJson = await post(url, "{ nope", { "content-type": "application/json" });
    expect(notJson.status).toBe(400);
    expect((await post(url, png(5), { "content-type": "image/png" })).body.predictions[0]!.label).toBe(expected[5]);
  });

  it("an oversized file or a pixel bomb is a 413 naming the limit", async () => {
    const big = await post(url, Buffer.alloc(200 * 1024, 1), { "content-type": "image/png" });
    expect(big.status).toBe(413);
    const bomb = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: "#808080" } })
      .png()
      .toBuffer();
    expect(bomb.length).toBeLessThan(64 * 1024);
    const pixels = await post(url, bomb, { "content-type": "image/png", "x-image-name": "bomb.png" });
    expect(pixels.status).toBe(413);
    expect(pixels.body.error).toBe("bomb.png: 2000x1000 pixels; the limit is 1000000 pixels per image");
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it("with a token, a request without it is a 401 and one with it is served; no token off loopback is refused", async () => {
    const guarded = await serve({ token: "s3cret" });
    expect((await fetch(`${guarded}/model`)).status).toBe(401);
    expect((await post(guarded, png(0), { "content-type": "image/png", authorization: "Bearer wrong" })).status).toBe(
      401,
    );
    const ok = await post(guarded, png(0), { "content-type": "image/png", authorization: "Bearer s3cret" });
    expect(ok.body.predictions[0]!.label).toBe(expected[0]);
    await expect(serve({ host: "0.0.0.0" })).rejects.toThrow("--host 0.0.0.0: serving beyond loopback needs --token");
  });

  it("a flood past the bounded queue gets 503s, the rest are answered, and the server recovers", async () => {
    // A model that takes 50 ms a call, so the 40 requests really pile up behind it.
    const engine = await openEngine(runDir, "tfjs");
    engines.push(engine);
    const slow = {
      ...engine,
      infer: async (t: Uint8Array[]) => (await new Promise((r) => setTimeout(r, 50)), engine.infer(t)),
    };
    const { url: small, app } = await startServer(slow, { port: 0, maxBatch: 1, maxWaitMs: 0, maxQueue: 2 });
    servers.push(app);
    const results = await Promise.all(
      Array.from({ length: 40 }, () => post(small, png(1), { "content-type": "image/png" })),
    );
    const codes = results.map((r) => r.status);
    expect(codes.filter((c) => c === 503).length).toBeGreaterThan(0);
    expect(codes.every((c) => c === 200 || c === 503)).toBe(true);
    expect(results.find((r) => r.status === 503)!.body.error).toContain("the server is busy");
    expect(results.filter((r) => r.status === 200).every((r) => r.body.predictions[0]!.label === expected[1])).toBe(
      true,
    );
    expect((await post(small, png(2), { "content-type": "image/png" })).status).toBe(200);
  });

  it("--engine onnx (the run converted in memory) gives the same labels as tfjs", async () => {
    const onnxUrl = await serve({}, "onnx");
    const form = new FormData();
    images.forEach((_, i) => form.append("image", new Blob([png(i)], { type: "image/png" }), `tile${i}.png`));
    const r = await post(onnxUrl, form);
    expect(r.status).toBe(200);
    expect(r.body.predictions.map((p) => p.label)).toEqual(expected);
    expect(((await (await fetch(`${onnxUrl}/health`)).json()) as { engine: string }).engine).toBe("onnxruntime-cpu");
  });
});
