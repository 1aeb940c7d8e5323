/**
 * Turning a user's `<run>` (an id, a unique part of one, or a run folder path) into a run folder,
 * refusing anything that would escape the runs dir.
 */
import { existsSync, readdirSync } from "node:fs";
import { isAbsolute, join, normalize, relative, resolve, sep } from "node:path";
import { DEFAULT_RUNS_DIR, RUN_FILES, isSafeRunId } from "@tessera/shared";
import { ExitError } from "../errors";

/** The runs dir from a flag, else env `TESSERA_RUNS_DIR`, else `./runs`. */
export function runsDirFrom(flag?: string): string {
  return resolve(flag ?? process.env.TESSERA_RUNS_DIR ?? DEFAULT_RUNS_DIR);
}

function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, RUN_FILES.meta));
}

/**
 * Resolves `ref` to a run folder. An id (shared's RUN_ID_PATTERN) names `runsDir/<id>`, or, when
 * no such folder exists, the one run whose id starts with `ref` or ends with `-<ref>`. A path
 * (containing a separator) is accepted when `allowPaths` (the CLI) and it is a run folder with no
 * `..` segment. Throws ExitError with the reason otherwise.
 */
export function resolveRunRef(ref: string, runsDir: string, opts: { allowPaths?: boolean } = {}): string {
  const allowPaths = opts.allowPaths ?? true;
  const root = resolve(runsDir);
  if (ref.includes("/") || ref.includes("\\") || ref === "." || ref === "..") {
    if (!allowPaths) throw new ExitError(`tessera: ${JSON.stringify(ref)} is not a run id`);
    if (normalize(ref).split(sep).includes("..") || ref.split(/[\\/]/).includes("..")) {
      throw new ExitError(`tessera: refusing run path ${JSON.stringify(ref)}: '..' segments are not allowed`);
    }
    const dir = resolve(ref);
    if (!isRunFolder(dir)) throw new ExitError(`tessera: ${ref} is not a run folder (no ${RUN_FILES.meta})`);
    return dir;
  }
  if (!isSafeRunId(ref)) {
    throw new ExitError(`tessera: ${JSON.stringify(ref)} is not a valid run id (letters, digits, '_', '.', '-')`);
  }
  const exact = join(root, ref);
  const rel = relative(root, exact);
  if (rel.startsWith("..") || isAbsolute(rel)) throw new ExitError(`tessera: refusing run id ${JSON.stringify(ref)}`);
  if (isRunFolder(exact)) return exact;
  const ids = existsSync(root)
    ? readdirSync(root).filter((id) => (id.startsWith(ref) || id.endsWith(`-${ref}`)) && isRunFolder(join(root, id)))
    : [];
  if (ids.length === 1) return join(root, ids[0]!);
  if (ids.length > 1) {
    throw new ExitError(`tessera: ${JSON.stringify(ref)} matches ${ids.length} runs in ${root}: ${ids.slice(0, 5).join(", ")}`);
  }
  throw new ExitError(`tessera: no run ${JSON.stringify(ref)} in ${root} (see 'tessera ls')`);
}
