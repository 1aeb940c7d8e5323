/**
 * After a run: `eval` on the run's own validation images agrees with the best checkpoint's recorded
 * value, `predict` labels image files with probabilities that sum to 1, and `export` writes a folder
 * that tfjs loads and that describes its inputs and classes.
 */
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "../runner/src/tf";
import { main } from "../runner/src/cli/main";
import { ExitError } from "../runner/src/errors";
import { REPO_ROOT } from "./helpers/paths";
import { runExperiment } from "../runner/src/train";
import { evalRun } from "../runner/src/inference/eval-run";
import { EXPORT_MANIFEST, exportRun } from "../runner/src/inference/export";
import { fileHandler } from "../runner/src/model/fileio";
import { inputOf, listImages, openRunModel, predictFiles } from "../runner/src/inference/predict";
import { loadGraphModel } from "@tensorflow/tfjs-converter";

const CONFIG = `
name: inference
seed: 3
backend: wasm
data: { source: synthetic, classes: 3, per_class: 10, image_size: 32 }
model: { backbone: resnet18, width: 0.125 }
train:
  batch_size: 8
  stages:
    - { name: only, trainable: all, size: 32, epochs: 2, lr: 3e-3 }
`;

describe("eval, predict and export on a finished run", () => {
  let dir: string;
  let runDir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-infer-"));
    writeFileSync(join(dir, "c.yaml"), CONFIG);
    ({ runDir } = await runExperiment({
      configFile: join(dir, "c.yaml"),
      runsDir: join(dir, "runs"),
      cacheDir: false,
    }));
  });

  it("eval reproduces the best checkpoint's validation accuracy", async () => {
    const best = JSON.parse(readFileSync(join(runDir, "checkpoints", "best", "checkpoint.json"), "utf8")) as {
      value: number;
    };
    const r = await evalRun(runDir);
    expect(r.images).toBe(6); // 20% of 30
    expect(r.accuracy).toBeCloseTo(best.value, 10);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(6);
    expect(r.classes).toHaveLength(3);
  });

  it("eval --data <folder> reads one sub-folder per class (one image a class is fine) and names unknown classes", async () => {
    const top = JSON.parse(readFileSync(join(runDir, "top_losses", "top_losses.json"), "utf8")) as {
      actual: string;
      image: string;
    }[];
    const folder = join(dir, "labelled");
    top.forEach((t, i) => {
      mkdirSync(join(folder, t.actual), { recursive: true });
      copyFileSync(join(runDir, t.image), join(folder, t.actual, `${i}.png`));
    });
    const r = await evalRun(runDir, folder);
    expect(r.images).toBe(top.length);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(top.length);
    mkdirSync(join(folder, "zebra"));
    copyFileSync(join(runDir, top[0]!.image), join(folder, "zebra", "z.png"));
    await expect(evalRun(runDir, folder)).rejects.toThrow(/class\(es\) the model does not know: zebra/);
  });

  it("eval --json through the CLI prints one JSON document", async () => {
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (chunks.push(s), true)) as typeof process.stdout.write;
    try {
      expect(await main(["eval", runDir, "--json"])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(JSON.parse(chunks.join("")).images).toBe(6);
  });

  it("eval --engine onnx|tfjs and predict on either engine give the same top-1, and say which engine ran", async () => {
    const evalJson = async (engine: string) => {
      const chunks: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((s: string) => (chunks.push(s), true)) as typeof process.stdout.write;
      try {
        expect(await main(["eval", runDir, "--json", "--engine", engine])).toBe(0);
      } finally {
        process.stdout.write = write;
      }
      return JSON.parse(chunks.join("")) as { engine: string; confusion: number[][]; loss: number };
    };
    const [onnx, tfjs] = [await evalJson("onnx"), await evalJson("tfjs")];
    expect(onnx.engine).toBe("onnxruntime-cpu");
    expect(tfjs.engine).toMatch(/^tfjs-(wasm|cpu)$/);
    expect(onnx.confusion).toEqual(tfjs.confusion);
    expect(Math.abs(onnx.loss - tfjs.loss) / tfjs.loss).toBeLessThan(1e-4);

    const files = listImages([join(runDir, "top_losses")]);
    const m = await openRunModel(runDir);
    const a = await predictFiles(m, files, { engine: "onnx" });
    const b = await predictFiles(m, files, { engine: "tfjs" });
    expect([a.engine, b.engine]).toEqual(["onnxruntime-cpu", tfjs.engine]);
    expect(a.predictions.map((p) => p.label)).toEqual(b.predictions.map((p) => p.label));
    a.predictions.forEach((p, i) => expect(p.probability).toBeCloseTo(b.predictions[i]!.probability, 4));
  });

  it("predict labels image files with probabilities over the classes", async () => {
    const files = listImages([join(runDir, "top_losses")]);
    expect(files.length).toBeGreaterThan(0);
    const m = await openRunModel(runDir);
    const { predictions: preds, failed } = await predictFiles(m, files);
    expect(failed).toEqual([]);
    expect(preds).toHaveLength(files.length);
    for (const p of preds) {
      const sum = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
      expect(m.classes).toContain(p.label);
      expect(p.probability).toBe(Math.max(...Object.values(p.probabilities)));
    }
  });

  it("predict labels the readable images of a folder, names the corrupt one on stderr and exits 1", async () => {
    const folder = join(dir, "to-label");
    cpSync(join(runDir, "top_losses"), folder, { recursive: true });
    rmSync(join(folder, "top_losses.json"));
    writeFileSync(join(folder, "00-broken.png"), "not a png at all");
    const good = listImages([folder]).length - 1;
    const out: string[] = [];
    const err: string[] = [];
    const [write, writeErr] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
    process.stdout.write = ((t: string) => (out.push(t), true)) as typeof process.stdout.write;
    process.stderr.write = ((t: string) => (err.push(t), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main(["predict", runDir, folder, "--json"]);
    } finally {
      process.stdout.write = write;
      process.stderr.write = writeErr;
    }
    expect(code).toBe(1);
    const doc = JSON.parse(out.join("")) as {
      predictions: { file: string }[];
      failed: { file: string; error: string }[];
    };
    expect(doc.predictions).toHaveLength(good); // the broken file (sorted first) did not stop the rest
    expect(doc.failed).toEqual([
      { file: join(folder, "00-broken.png"), error: expect.stringMatching(/00-broken\.png: cannot decode the image/) },
    ]);
    expect(err.join("")).toMatch(/1 of \d+ images could not be read; the other \d+ were labelled/);
  });

  it("export writes a loadable tfjs model with a manifest, and refuses a foreign non-empty folder", async () => {
    const out = join(dir, "export");
    await exportRun(runDir, out);
    const manifest = JSON.parse(readFileSync(join(out, EXPORT_MANIFEST), "utf8"));
    expect(manifest).toMatchObject({ format: 1, name: "inference", normalize: { mode: "imagenet" } });
    expect(manifest.input.shape).toEqual([null, 32, 32, 3]);
    const model = await tf.loadLayersModel(fileHandler(out));
    expect((model.predict(tf.zeros([1, 32, 32, 3])) as tf.Tensor).shape).toEqual([1, 3]);
    await exportRun(runDir, out); // an earlier export may be overwritten
    await expect(exportRun(runDir, join(runDir, "checkpoints"))).rejects.toThrow(/not empty/);
    // --out naming a file was an "unexpected error" (ENOTDIR stack trace).
    await expect(exportRun(runDir, join(runDir, "config.yaml"))).rejects.toThrow(
      /config\.yaml: is a file, not a folder/,
    );
  });

  it("export --format tfjs-graph writes a graph model that tf.loadGraphModel runs, labelling as predict does", async () => {
    const out = join(dir, "export-graph");
    expect(await main(["export", runDir, "--out", out, "--format", "tfjs-graph"])).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, EXPORT_MANIFEST), "utf8"));
    expect(manifest).toMatchObject({ format_kind: "tfjs-graph", input: { shape: [null, 32, 32, 3] } });
    expect(JSON.parse(readFileSync(join(out, "model.json"), "utf8")).format).toBe("graph-model");
    const graph = await loadGraphModel(fileHandler(out));
    const files = listImages([join(runDir, "top_losses")]);
    const m = await openRunModel(runDir);
    const { predictions } = await predictFiles(m, files, { engine: "tfjs" });
    const x = await inputOf(m, files);
    const probs = graph.execute(x, "probabilities") as tf.Tensor2D;
    const labels = Array.from(await probs.argMax(1).data()).map((k) => m.classes[k]);
    expect(labels).toEqual(predictions.map((p) => p.label));
    tf.dispose([x, probs]);
  });

  it("export writes the metrics of the epoch whose weights it exports, not the final epoch's", async () => {
    const copy = join(dir, "best-is-epoch-1");
    cpSync(runDir, copy, { recursive: true });
    // Make epoch 1 the best checkpoint (as when epoch 2 got worse); the weights' origin is what counts.
    const infoFile = join(copy, "checkpoints", "best", "checkpoint.json");
    writeFileSync(infoFile, JSON.stringify({ ...JSON.parse(readFileSync(infoFile, "utf8")), epoch: 1 }));
    const events = readFileSync(join(copy, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; epoch?: number; valid_loss?: number; valid_accuracy?: number });
    const [first, second] = events.filter((e) => e.type === "epoch");
    expect(first!.valid_loss).not.toBe(second!.valid_loss);
    const result = await exportRun(copy, join(dir, "export-epoch-1"));
    expect(result.checkpoint).toMatchObject({ stage: "only", epoch: 1 });
    const manifest = JSON.parse(readFileSync(join(dir, "export-epoch-1", EXPORT_MANIFEST), "utf8"));
    expect(manifest.source.checkpoint.epoch).toBe(1);
    expect(manifest.metrics).toMatchObject({
      stage: "only",
      epoch: 1,
      valid_loss: first!.valid_loss,
      valid_accuracy: first!.valid_accuracy,
      tta_accuracy: null,
    });
  });

  it("predict says which checkpoint it used", async () => {
    const image = join(
      runDir,
      "top_losses",
      readdirSync(join(runDir, "top_losses")).find((f) => f.endsWith(".png"))!,
    );
    let stderr = "";
    let stdout = "";
    const writeErr = process.stderr.write.bind(process.stderr);
    const writeOut = process.stdout.write.bind(process.stdout);
    process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
    process.stdout.write = ((s: string) => ((stdout += s), true)) as typeof process.stdout.write;
    try {
      expect(await main(["predict", runDir, image, "--json"])).toBe(0);
    } finally {
      process.stderr.write = writeErr;
      process.stdout.write = writeOut;
    }
    const best = JSON.parse(readFileSync(join(runDir, "checkpoints", "best", "checkpoint.json"), "utf8"));
    expect(stderr).toContain(`best checkpoint: stage 'only' epoch ${best.epoch} (valid.accuracy `);
    expect(JSON.parse(stdout).checkpoint).toMatchObject({ stage: "only", epoch: best.epoch });
  });

  it("eval, predict and export name a missing or broken config.yaml or meta.json (they were stack traces)", async () => {
    const broken = (name: string, file: string, content: string | null) => {
      const copy = join(dir, name);
      cpSync(runDir, copy, { recursive: true });
      if (content === null) rmSync(join(copy, file));
      else writeFileSync(join(copy, file), content);
      return copy;
    };
    const noConfig = broken("no-config", "config.yaml", null);
    const badConfig = broken("bad-config", "config.yaml", "name: [unclosed\n");
    const badMeta = broken("bad-meta", "meta.json", '{"id":');
    for (const run of [noConfig, badConfig]) {
      await expect(evalRun(run)).rejects.toBeInstanceOf(ExitError);
      await expect(openRunModel(run)).rejects.toBeInstanceOf(ExitError);
    }
    await expect(exportRun(noConfig, join(dir, "x1"))).rejects.toThrow(
      /config\.yaml: missing; the run folder is incomplete/,
    );
    await expect(exportRun(badConfig, join(dir, "x2"))).rejects.toThrow(/config\.yaml: not valid YAML \(Flow sequence/);
    const metaError = await exportRun(badMeta, join(dir, "x3")).catch((e: unknown) => e);
    expect(metaError).toBeInstanceOf(ExitError);
    expect((metaError as Error).message).toMatch(/meta\.json: not valid JSON/);
  });

  it("eval, predict and export name a damaged checkpoint file and what to do (it was 'unexpected error (this is a bug)')", async () => {
    const cases = [
      [
        "cut-weights",
        "weights.bin",
        (f: string) => truncateSync(f, 100),
        /weights\.bin: damaged checkpoint file \(truncated: 100 bytes/,
      ],
      [
        "bad-info",
        "checkpoint.json",
        (f: string) => writeFileSync(f, '{"stage": "on'),
        /checkpoint\.json: damaged checkpoint file \(not valid JSON/,
      ],
    ] as const;
    for (const [name, file, damage, message] of cases) {
      const copy = join(dir, name);
      cpSync(runDir, copy, { recursive: true });
      damage(join(copy, "checkpoints", "best", file));
      const image = join(
        copy,
        readdirSync(join(copy, "top_losses")).find((f) => f.endsWith(".png"))!,
      );
      for (const argv of [
        ["eval", copy],
        ["predict", copy, join(copy, "top_losses", image.slice(image.lastIndexOf("/") + 1))],
        ["export", copy, "--out", join(dir, `${name}-export`)],
      ]) {
        let stderr = "";
        const write = process.stderr.write.bind(process.stderr);
        process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
        try {
          expect(await main(argv), argv.join(" ")).toBe(1);
        } finally {
          process.stderr.write = write;
        }
        expect(stderr, argv[0]).toMatch(message);
        expect(stderr).toContain("restore");
        expect(stderr).not.toContain("this is a bug");
      }
    }
  });

  it("export through the CLI prints only its own lines (it printed tfjs's cpu 'install tfjs-node' banner)", () => {
    const res = spawnSync("pnpm", ["-s", "tessera", "export", runDir, "--out", join(dir, "export-cli")], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(res.status).toBe(0);
    expect(res.stdout).toBe("");
    expect(res.stderr).not.toContain("tfjs-node");
    expect(res.stderr).toMatch(/^exported .*\n {2}to .*export-cli: model\.json, weights\.bin, tessera-model\.json\n$/);
  });
});
