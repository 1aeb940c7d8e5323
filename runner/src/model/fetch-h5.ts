/**
 * Keras Applications' ImageNet weights for resnet101/152: download the published h5 (or take the
 * copy the user dropped into the cache folder), check Keras's md5, convert it in Node (keras-h5.ts)
 * and publish the tfjs model atomically.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BackboneName } from "@tessera/shared";
import { download } from "../data/fetch/download";
import { ConfigError } from "../errors";
import { publish, SOURCE_FILE, WeightsUnreachableError } from "./cache";
import { convertKerasH5 } from "./keras-h5";
import { byteProgress } from "./progress";
import { conversionCommand, type KerasH5Source } from "./sources";

async function md5(file: string): Promise<string> {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Downloads `url` to `file` (resumable, retried, stall timeout) with a byte progress bar. */
async function downloadH5(url: string, file: string, label: string): Promise<void> {
  const progress = byteProgress(label);
  let seen = 0;
  try {
    await download({
      url,
      dest: file,
      sha256: null, // Keras publishes an md5, checked below
      onProgress: (done, total) => {
        progress.add(done - seen, seen === 0 && total !== null ? total : undefined);
        seen = done;
      },
      errorOf: (message) => new WeightsUnreachableError(`cannot download ${message}`),
    });
  } finally {
    progress.stop();
  }
}

/** The h5 file's place in the cache: `weights/<file name from the URL>`. */
export function kerasH5Path(source: KerasH5Source, finalDir: string): string {
  return path.join(path.dirname(finalDir), path.basename(new URL(source.url).pathname));
}

/**
 * Makes `finalDir` hold the converted ImageNet model of `backbone`.
 * @throws WeightsUnreachableError when the h5 cannot be downloaded (with the manual routes)
 */
export async function fetchKerasH5(
  backbone: BackboneName,
  source: KerasH5Source,
  finalDir: string,
  /** Tests convert tiny nets. */
  opts: { width?: number } = {},
): Promise<void> {
  const h5 = kerasH5Path(source, finalDir);
  if (!existsSync(h5)) {
    try {
      // A `.part` left by an interrupted try is resumed, not started over.
      await downloadH5(source.url, h5, `weights ${backbone}`);
    } catch (error) {
      if (!(error instanceof WeightsUnreachableError)) throw error;
      throw new WeightsUnreachableError(
        `weights ${backbone}: ${error.message}. Either download that file by other means to ${h5} ` +
          `(md5 ${source.md5}) and run again, or convert with Python into the cache:\n  ${conversionCommand(backbone, finalDir)}`,
      );
    }
  }
  const got = await md5(h5);
  if (got !== source.md5) {
    throw new ConfigError(
      `weights ${backbone}: ${h5} has md5 ${got}, expected ${source.md5}; delete it and fetch again`,
    );
  }
  const work = await mkdtemp(path.join(path.dirname(finalDir), ".convert-"));
  try {
    await convertKerasH5(h5, backbone, work, opts);
    await writeFile(
      path.join(work, SOURCE_FILE),
      JSON.stringify(
        { backbone, kind: "keras-h5", url: source.url, md5: got, fetched: new Date().toISOString() },
        null,
        2,
      ),
    );
    await publish(work, finalDir);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
