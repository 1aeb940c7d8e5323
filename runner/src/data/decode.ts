/**
 * Decode and resize with sharp (libvips): any of TIFF/PNG/JPEG/WebP, grey or RGBA or 16-bit, to a
 * square RGB uint8 tile. sharp runs on libuv's thread pool, so awaiting it never blocks the loop.
 */
import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { DataError } from "../errors";
import { displayPath } from "./sources/walk";
import type { ResizeMode } from "./types";

// libvips' own operation cache only helps repeated identical pipelines; ours differ by input.
sharp.cache(false);

const FIT = { squish: "fill", crop: "cover", pad: "contain" } as const;

/** Decodes encoded image bytes to `size`x`size` RGB (HWC uint8), upright by EXIF; transparent pixels become white. */
export async function decodeToRgb(input: Buffer, size: number, resize: ResizeMode): Promise<Uint8Array> {
  const { data, info } = await sharp(input, { failOn: "truncated", autoOrient: true })
    .flatten({ background: "#ffffff" })
    .resize(size, size, { fit: FIT[resize], position: "centre", background: "#000000", kernel: "lanczos3" })
    .toColourspace("srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== size || info.height !== size) {
    throw new Error(`unexpected decoded shape ${info.width}x${info.height}x${info.channels}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Resizes an RGB tile already in memory (synthetic tiles at another stage size). */
export async function resizeRgb(rgb: Uint8Array, from: number, size: number, resize: ResizeMode): Promise<Uint8Array> {
  if (from === size) return rgb;
  const data = await sharp(rgb, { raw: { width: from, height: from, channels: 3 } })
    .resize(size, size, { fit: FIT[resize], kernel: "lanczos3" })
    .raw()
    .toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Reads and decodes one image file, with a DataError naming the file when it cannot be read. */
export async function decodeFile(file: string, size: number, resize: ResizeMode, bytes?: Buffer): Promise<Uint8Array> {
  const input = bytes ?? (await readImageBytes(file));
  try {
    return await decodeToRgb(input, size, resize);
  } catch (error) {
    throw new DataError(`${displayPath(file)}: cannot decode the image (${(error as Error).message})`);
  }
}

/** Reads a file's bytes; a DataError for a missing or zero-byte file. */
export async function readImageBytes(file: string): Promise<Buffer> {
  const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new DataError(`${displayPath(file)}: cannot read (${e.code ?? e.message})`);
  });
  if (bytes.length === 0) throw new DataError(`${displayPath(file)}: zero-byte file`);
  return bytes;
}

/**
 * The physical limit `bench/data.ts` compares the pipeline against: sharp reading a file and doing
 * only decode + squish resize to raw pixels, with no hashing, checks, colour handling or cache.
 */
export async function bareSharpDecode(file: string, size: number): Promise<number> {
  const data = await sharp(file).resize(size, size, { fit: "fill" }).raw().toBuffer();
  return data.length;
}
