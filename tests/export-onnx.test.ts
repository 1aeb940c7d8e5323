/**
 * `tessera export --format onnx` on a run trained on real Kimia tiles: ONNX Runtime, fed the
 * tiles exactly as the manifest/metadata describe, picks the same class as `tessera predict` for
 * every tile (with and without the normalisation baked in); the metadata names the classes in
 * order; `--checkpoint last` and a fixed `--batch` are honoured, and bad flags are named.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import * as tf from "../runner/src/tf";
import { main } from "../runner/src/cli/main";
import { decodeFile, normalizeBatch } from "../runner/src/data";
import { onnx } from "../runner/src/export/onnx/proto";
import { openRunModel, predictFiles } from "../runner/src/inference/predict";
import { kimiaTiles, trainKimiaRun } from "./helpers/kimia-run";

let work: string;
let runDir: string | null = null;
let skip = "";
/** protobufjs gives int64 fields as Long objects. */
const num = (v: unknown) => Number(String(v));
const tiles = ["A", "B", "C"].flatMap((c) => kimiaTiles(c, 2, 10)); // not in the training CSV

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tessera-onnx-"));
  const r = await trainKimiaRun(work);
  if ("skip" in r) skip = r.skip;
  else runDir = r.runDir;
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** ORT's top-1 class per tile, feeding NCHW pixels (raw 0..255 when baked, else normalised). */
async function ortLabels(file: string, baked: boolean, size: number, normalize: "caffe" | "imagenet" | "none") {
  const session = await ort.InferenceSession.create(file);
  const labels: number[] = [];
  for (const tile of tiles) {
    const rgb = tf.tensor4d(await decodeFile(tile, size, "squish"), [1, size, size, 3], "float32");
    const x = baked ? rgb : normalizeBatch(rgb, normalize);
    const data = (await tf.transpose(x, [0, 3, 1, 2]).data()) as Float32Array;
    const out = await session.run({ input: new ort.Tensor("float32", data, [1, 3, size, size]) });
    const p = Array.from(out.probabilities!.data as Float32Array);
    labels.push(p.indexOf(Math.max(...p)));
  }
  await session.release();
  return labels;
}

describe("tessera export --format onnx on a Kimia run", () => {
  it("ORT's top-1 equals tessera predict's on real tiles, baked or not; metadata names the classes", async (ctx) => {
    if (!runDir) return ctx.skip(skip);
    const m = await openRunModel(runDir);
    const { predictions } = await predictFiles(m, tiles);
    const expected = predictions.map((p) => m.classes.indexOf(p.label));
    // A model that says one class for everything would make "same top-1" prove nothing.
    expect(new Set(expected).size).toBeGreaterThan(1);
    for (const baked of [false, true]) {
      const out = join(work, baked ? "onnx-baked" : "onnx");
      const argv = ["export", runDir, "--out", out, "--format", "onnx", ...(baked ? ["--bake-preprocessing"] : [])];
      expect(await main(argv)).toBe(0);
      expect(await ortLabels(join(out, "model.onnx"), baked, m.size, m.normalize)).toEqual(expected);
      const proto = onnx.ModelProto.decode(readFileSync(join(out, "model.onnx")));
      const meta = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
      expect(JSON.parse(meta.classes!)).toEqual(["A", "B", "C"]);
      expect(meta).toMatchObject({ input_size: "48", resize: "squish", preprocessing_baked: String(baked) });
      expect(JSON.parse(meta.normalization!).mode).toBe(m.normalize);
      expect(num(proto.opsetImport[0]!.version)).toBe(17);
      const manifest = JSON.parse(readFileSync(join(out, "tessera-model.json"), "utf8"));
      expect(manifest.input).toMatchObject({ layout: "NCHW", shape: [null, 3, 48, 48] });
    }
    m.model.dispose();
  });

  it("--checkpoint last, --batch 4 and --opset 13 are written into the file", async (ctx) => {
    if (!runDir) return ctx.skip(skip);
    const out = join(work, "onnx-last");
    const argv = [
      "export",
      runDir,
      "--out",
      out,
      "--format",
      "onnx",
      "--checkpoint",
      "last",
      "--batch",
      "4",
      "--opset",
      "13",
    ];
    expect(await main(argv)).toBe(0);
    const proto = onnx.ModelProto.decode(readFileSync(join(out, "model.onnx")));
    expect(num(proto.opsetImport[0]!.version)).toBe(13);
    expect(num(proto.graph!.input![0]!.type!.tensorType!.shape!.dim![0]!.dimValue)).toBe(4);
    const manifest = JSON.parse(readFileSync(join(out, "tessera-model.json"), "utf8"));
    const last = JSON.parse(readFileSync(join(runDir, "checkpoints", "last", "checkpoint.json"), "utf8"));
    expect(manifest.source.checkpoint.epoch).toBe(last.epoch);
    const session = await ort.InferenceSession.create(join(out, "model.onnx"));
    expect(session.inputNames).toEqual(["input"]);
    expect(session.outputNames).toEqual(["logits", "probabilities"]);
    await session.release();
  });

  it("names a bad flag: --opset out of range, --batch not a number, --bake-preprocessing without onnx", async (ctx) => {
    if (!runDir) return ctx.skip(skip);
    const out = join(work, "bad");
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await main(["export", runDir, "--out", out, "--format", "onnx", "--opset", "9"])).not.toBe(0);
      expect(await main(["export", runDir, "--out", out, "--format", "onnx", "--batch", "many"])).not.toBe(0);
      expect(await main(["export", runDir, "--out", out, "--bake-preprocessing"])).not.toBe(0);
    } finally {
      process.stderr.write = write;
    }
    expect(err.join("")).toContain("--opset 9: expected an integer from 13 to 21");
    expect(err.join("")).toContain("--batch many: expected an integer >= 1");
    expect(err.join("")).toContain("--bake-preprocessing and --batch apply to --format onnx only");
  });
});
