/**
 * The images of one `POST /predict`, in any of its three shapes: the raw bytes of one image
 * (`Content-Type: image/*` or `application/octet-stream`), `multipart/form-data` with one or more
 * file parts, or JSON `{ "images": [{ "name"?, "base64" } | { "path" }] }` where paths must lie
 * under the server's `--allow-root`. Each problem is an {@link HttpError} whose message names the
 * image and what is wrong with it.
 */
import { realpathSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import sharp from "sharp";
import type { FastifyRequest } from "fastify";
// Declares req.isMultipart() and req.parts() on fastify's request type.
import type {} from "@fastify/multipart";
import { decodeToRgb } from "../data/decode";
import type { ResizeMode } from "../data";

/** An error with the HTTP status to answer it with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** One image of a request, not yet decoded. */
export interface RawImage {
  name: string;
  bytes: Buffer;
}

/** Limits on what a request may carry. */
export interface InputLimits {
  maxImageBytes: number;
  maxImages: number;
  maxPixels: number;
  /** Folder JSON `path` entries must lie under; null refuses paths. */
  allowRoot: string | null;
}

function underRoot(path: string, root: string): string {
  let real: string;
  try {
    real = realpathSync(resolve(root, path));
  } catch {
    throw new HttpError(404, `${path}: no such file under the allowed root`);
  }
  const rel = relative(realpathSync(root), real);
  if (rel.startsWith("..") || isAbsolute(rel)) throw new HttpError(403, `${path}: outside the allowed root ${root}`);
  return real;
}

async function fromJson(body: unknown, limits: InputLimits): Promise<RawImage[]> {
  const images = (body as { images?: unknown } | null)?.images;
  if (!Array.isArray(images))
    throw new HttpError(400, `JSON body: expected { "images": [{ "base64": ... } | { "path": ... }] }`);
  return Promise.all(
    images.map(async (item: unknown, i): Promise<RawImage> => {
      const it = (item ?? {}) as { name?: unknown; base64?: unknown; path?: unknown };
      if (typeof it.base64 === "string") {
        const bytes = Buffer.from(it.base64, "base64");
        return { name: typeof it.name === "string" ? it.name : `images[${i}]`, bytes };
      }
      if (typeof it.path === "string") {
        if (!limits.allowRoot)
          throw new HttpError(403, `images[${i}].path: this server reads no paths (start it with --allow-root <dir>)`);
        const file = underRoot(it.path, limits.allowRoot);
        if (statSync(file).size > limits.maxImageBytes)
          throw new HttpError(413, `${it.path}: larger than the ${limits.maxImageBytes}-byte limit per image`);
        return { name: it.path, bytes: await readFile(file) };
      }
      throw new HttpError(400, `images[${i}]: expected a "base64" or a "path" string`);
    }),
  );
}

/** Reads the request's images (without decoding them). */
export async function readImages(req: FastifyRequest, limits: InputLimits): Promise<RawImage[]> {
  let images: RawImage[];
  if (req.isMultipart()) {
    images = [];
    for await (const part of req.parts()) {
      if (part.type !== "file") continue;
      // toBuffer() throws fastify-multipart's 413 error past limits.fileSize.
      images.push({ name: part.filename || part.fieldname, bytes: await part.toBuffer() });
    }
  } else if (Buffer.isBuffer(req.body)) {
    images = [{ name: String(req.headers["x-image-name"] ?? "body"), bytes: req.body }];
  } else {
    images = await fromJson(req.body, limits);
  }
  if (images.length === 0) throw new HttpError(400, "no image in the request");
  if (images.length > limits.maxImages)
    throw new HttpError(413, `${images.length} images in one request; the limit is ${limits.maxImages}`);
  for (const im of images) {
    if (im.bytes.length > limits.maxImageBytes)
      throw new HttpError(413, `${im.name}: ${im.bytes.length} bytes; the limit is ${limits.maxImageBytes} per image`);
    if (im.bytes.length === 0) throw new HttpError(422, `${im.name}: empty image`);
  }
  return images;
}

/**
 * Decodes one image to the model's RGB tile. Checks the header's pixel count first so a
 * decompression bomb (a small file that expands to gigapixels) is refused before it is decoded.
 */
export async function decodeImage(
  im: RawImage,
  size: number,
  resize: ResizeMode,
  maxPixels: number,
): Promise<Uint8Array> {
  let width = 0;
  let height = 0;
  try {
    ({ width = 0, height = 0 } = await sharp(im.bytes).metadata());
  } catch (error) {
    throw new HttpError(422, `${im.name}: not an image sharp can read (${(error as Error).message})`);
  }
  if (width * height > maxPixels)
    throw new HttpError(413, `${im.name}: ${width}x${height} pixels; the limit is ${maxPixels} pixels per image`);
  try {
    return await decodeToRgb(im.bytes, size, resize);
  } catch (error) {
    throw new HttpError(422, `${im.name}: cannot decode the image (${(error as Error).message})`);
  }
}
