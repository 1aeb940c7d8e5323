/**
 * Proof that a chart file is a usable image, without a browser: Skia's SVG parser (through
 * @napi-rs/canvas, already a runner dependency) refuses malformed XML, and rendering the file
 * gives its pixel size. Used by the report tests in runner/ and tests/.
 */
import { loadImage } from "@napi-rs/canvas";

/** Decodes an SVG or PNG; throws on a file that is not a valid image. */
export async function imageSize(data: Buffer | Uint8Array): Promise<{ width: number; height: number }> {
  const image = await loadImage(Buffer.from(data));
  return { width: image.width, height: image.height };
}
