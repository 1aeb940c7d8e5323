/**
 * Where tests find things: the repository root, and the team kit `../shared` beside it
 * (env `TESSERA_SHARED_DIR` overrides), never by a path relative to a package.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

function findRepoRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, "pnpm-workspace.yaml"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${from}`);
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
export const SHARED_KIT_DIR = resolve(process.env.TESSERA_SHARED_DIR ?? join(REPO_ROOT, "..", "shared"));
export const KIMIA_DIR = join(SHARED_KIT_DIR, "data", "kimia-path960");
/** True in CI: a missing prerequisite there fails a test instead of skipping it. */
export const IN_CI = process.env.CI === "true" || process.env.CI === "1";
