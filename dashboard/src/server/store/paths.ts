/**
 * Where the dashboard may read: the run store (`TESSERA_RUNS_DIR`, default `./runs`) and the
 * configs folder (`TESSERA_CONFIGS_DIR`, default `./configs`). Every path the API touches goes
 * through these functions, so a run id or a file name from a request can never leave them.
 */
import { realpathSync } from "node:fs";
import { isAbsolute, join, normalize, relative, resolve, sep } from "node:path";
import { DEFAULT_RUNS_DIR, DEFAULT_SWEEPS_DIR, isSafeRunId } from "@tessera/shared";

/** The run store folder, absolute. Read per call so tests can point it elsewhere. */
export function runsDir(): string {
  return resolve(/*turbopackIgnore: true*/ process.env.TESSERA_RUNS_DIR ?? DEFAULT_RUNS_DIR);
}

/** The sweeps folder, absolute; env `TESSERA_SWEEPS_DIR`, read per call so tests can point it elsewhere. */
export function sweepsDir(): string {
  return resolve(/*turbopackIgnore: true*/ process.env.TESSERA_SWEEPS_DIR ?? DEFAULT_SWEEPS_DIR);
}

/** The configs folder, absolute. */
export function configsDir(): string {
  return resolve(/*turbopackIgnore: true*/ process.env.TESSERA_CONFIGS_DIR ?? "configs");
}

/** A request asked for something outside what the dashboard serves. */
export class PathRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PathRefusedError";
  }
}

/** True when `child` is `parent` itself or lies below it (both absolute, normalised). */
function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** Follows symlinks when the path exists, so a link inside the store cannot point outside it. */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The folder of run `id`; refuses anything that is not a plain run id (`..`, `/`, absolute). */
export function resolveRunDir(id: string, root: string = runsDir()): string {
  if (!isSafeRunId(id)) throw new PathRefusedError(`run id ${JSON.stringify(id)} is not a run id`);
  const dir = join(root, id);
  if (!isInside(real(root), real(dir)))
    throw new PathRefusedError(`run ${JSON.stringify(id)} lies outside the run store`);
  return dir;
}

/**
 * A file inside run `id`'s folder, given relative to it (e.g. `top_losses/3.png`). Refuses
 * absolute paths, `..` segments, backslashes and NUL before touching the file system, then
 * checks the real path again.
 */
export function resolveRunFile(id: string, relPath: string, root: string = runsDir()): string {
  const dir = resolveRunDir(id, root);
  if (
    relPath === "" ||
    isAbsolute(relPath) ||
    relPath.includes("\\") ||
    relPath.includes("\0") ||
    relPath.split("/").some((part) => part === ".." || part === "")
  ) {
    throw new PathRefusedError(`file ${JSON.stringify(relPath)} is not a path inside run ${id}`);
  }
  const file = normalize(join(dir, relPath));
  if (!file.startsWith(dir + sep) || !isInside(real(dir), real(file))) {
    throw new PathRefusedError(`file ${JSON.stringify(relPath)} lies outside run ${id}`);
  }
  return file;
}

/** A config file name inside the configs folder (`demo.yaml`, `sub/x.yml`). */
export function resolveConfigFile(name: string, root: string = configsDir()): string {
  if (
    !/^[A-Za-z0-9_./-]+\.ya?ml$/.test(name) ||
    isAbsolute(name) ||
    name.split("/").some((p) => p === ".." || p === "")
  ) {
    throw new PathRefusedError(`config ${JSON.stringify(name)} is not a YAML file in the configs folder`);
  }
  const file = join(/*turbopackIgnore: true*/ root, name);
  if (!isInside(real(root), real(file)))
    throw new PathRefusedError(`config ${JSON.stringify(name)} lies outside the configs folder`);
  return file;
}
