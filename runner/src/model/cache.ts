/** The weights cache's shared pieces: completeness marker, atomic publish, the unreachable error. */
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { ExitError } from "../errors";

/** The registry (or the network) could not be reached; CI treats this as a failure. */
export class WeightsUnreachableError extends ExitError {
  override name = "WeightsUnreachableError";
}

/** Marker written last into a complete cache folder. */
export const SOURCE_FILE = "source.json";

/** Whether `dir` holds a complete fetched model. */
export function isCached(dir: string): boolean {
  return existsSync(path.join(dir, "model.json")) && existsSync(path.join(dir, SOURCE_FILE));
}

/** Moves a finished temporary folder into place (another process may have won the race). */
export async function publish(tmp: string, finalDir: string): Promise<void> {
  await mkdir(path.dirname(finalDir), { recursive: true });
  await rename(tmp, finalDir).catch(async (error: NodeJS.ErrnoException) => {
    if (!isCached(finalDir)) throw error;
    await rm(tmp, { recursive: true, force: true });
  });
}
