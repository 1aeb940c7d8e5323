/**
 * Imports a module of this folder that another issue builds (`wasm/`, `webgpu/`) without a static
 * import, so this folder typechecks and runs before that module lands. Returns null when the file
 * is not there; errors thrown while it loads propagate.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** `rel` is relative to this folder, without extension, e.g. `wasm/index`. */
export async function importSibling<T>(rel: string): Promise<T | null> {
  const url = new URL(`./${rel}.ts`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return null;
  return (await import(/* @vite-ignore */ url.href)) as T;
}
