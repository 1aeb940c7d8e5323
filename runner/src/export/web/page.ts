/// <reference lib="dom" />
/**
 * The script of the exported web page (bundled by esbuild into `app.js`, so the page needs no CDN
 * and no server of ours): loads `model.json` and `tessera-model.json` beside it, picks WebGPU
 * where the browser has it, else WebGL, else the cpu backend, and labels every image dropped on
 * the page (or chosen with the file input; PNG, JPEG, WebP, and TIFF through UTIF) with the class and its probabilities. Images are
 * resized as the run resized them (squish / crop / pad) and normalised with the manifest's constants.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgl";
import "@tensorflow/tfjs-backend-webgpu";
import { loadLayersModel } from "@tensorflow/tfjs-layers";
import * as UTIF from "utif2";

interface Manifest {
  name: string;
  classes: string[];
  input: { shape: (number | null)[]; resize: "squish" | "crop" | "pad" };
  normalize: { mode: "caffe" | "imagenet" | "none"; mean_bgr?: number[]; mean?: number[]; std?: number[] };
}

/**
 * The image as a bitmap. Browsers decode PNG/JPEG/WebP but not TIFF, the format slide tiles are
 * often saved in, so TIFF goes through UTIF (first page, to RGBA) first.
 */
async function bitmapOf(file: File): Promise<ImageBitmap> {
  if (!/\.tiff?$/i.test(file.name) && file.type !== "image/tiff") return createImageBitmap(file);
  const buffer = await file.arrayBuffer();
  const [ifd] = UTIF.decode(buffer);
  if (!ifd) throw new Error("no image in this TIFF");
  UTIF.decodeImage(buffer, ifd);
  const rgba = UTIF.toRGBA8(ifd);
  const { width, height } = ifd as unknown as { width: number; height: number };
  return createImageBitmap(new ImageData(new Uint8ClampedArray(rgba), width, height));
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function pickBackend(): Promise<string> {
  for (const name of ["webgpu", "webgl", "cpu"]) {
    try {
      if (await tf.setBackend(name)) return name;
    } catch {
      // this browser lacks it; try the next
    }
  }
  return tf.getBackend();
}

/** Draws the image into a size x size canvas the way the run resized its tiles. */
function draw(img: ImageBitmap, size: number, resize: Manifest["input"]["resize"]): ImageData {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d")!;
  ctx.imageSmoothingQuality = "high";
  const { width: w, height: h } = img;
  if (resize === "squish") ctx.drawImage(img, 0, 0, size, size);
  else if (resize === "crop") {
    const s = Math.min(w, h);
    ctx.drawImage(img, (w - s) / 2, (h - s) / 2, s, s, 0, 0, size, size);
  } else {
    const scale = size / Math.max(w, h);
    ctx.drawImage(img, (size - w * scale) / 2, (size - h * scale) / 2, w * scale, h * scale);
  }
  return ctx.getImageData(0, 0, size, size);
}

function normalize(x: tf.Tensor4D, n: Manifest["normalize"]): tf.Tensor4D {
  switch (n.mode) {
    case "caffe":
      return tf.sub(tf.reverse(x, -1), tf.tensor1d(n.mean_bgr!));
    case "imagenet":
      return tf.div(tf.sub(tf.div(x, 255), tf.tensor1d(n.mean!)), tf.tensor1d(n.std!));
    case "none":
      return tf.div(x, 255);
  }
}

async function main(): Promise<void> {
  const status = $("status");
  const manifest = (await (await fetch("tessera-model.json")).json()) as Manifest;
  const backend = await pickBackend();
  const model = await loadLayersModel("model.json");
  const size = manifest.input.shape[1]!;
  status.textContent = `${manifest.name}: ${manifest.classes.length} classes, ${size} px, tfjs ${backend}. Drop images here.`;
  document.body.dataset.ready = "true";

  const label = async (file: File) => {
    const row = document.createElement("li");
    $("results").append(row);
    try {
      const pixels = draw(await bitmapOf(file), size, manifest.input.resize);
      const probs = tf.tidy(() => {
        // Functional ops: the bundle has tfjs-core without its chained-op prototype methods.
        const rgb = tf.expandDims(tf.cast(tf.browser.fromPixels(pixels, 3), "float32"), 0) as tf.Tensor4D;
        return tf.softmax(model.predict(normalize(rgb, manifest.normalize)) as tf.Tensor2D);
      });
      const p = Array.from(await probs.data());
      probs.dispose();
      const best = p.indexOf(Math.max(...p));
      row.dataset.file = file.name;
      row.dataset.label = manifest.classes[best];
      const top = p
        .map((v, i) => [manifest.classes[i]!, v] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([c, v]) => `${c} ${(v * 100).toFixed(1)}%`)
        .join(", ");
      row.innerHTML = `<b>${file.name}</b>: <span class="label">${manifest.classes[best]}</span> (${top})`;
    } catch (error) {
      row.dataset.error = String(error);
      row.textContent = `${file.name}: cannot read this image (${String(error)}); PNG, JPEG, WebP and TIFF are read`;
    }
  };
  const files = async (list: FileList | null) => {
    for (const f of Array.from(list ?? [])) await label(f);
  };
  $<HTMLInputElement>("files").addEventListener("change", (e) => void files((e.target as HTMLInputElement).files));
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    void files(e.dataTransfer?.files ?? null);
  });
}

main().catch((error: unknown) => {
  $("status").textContent =
    `could not load the model: ${String(error)} (open this folder through a web server, e.g. 'python3 -m http.server')`;
});
