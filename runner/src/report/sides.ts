/**
 * Loading diff sides by reference: a `.yaml`/`.yml` file that exists is a config (through the
 * config loader, so `extends` and defaults resolve exactly as for `tessera run`); anything else is
 * a run id or run folder.
 */
import { existsSync, statSync } from "node:fs";
import { loadConfig } from "../config";
import { ExitError } from "../errors";
import { resolveRunRef } from "../runs";
import { diffLoaded, type DiffOptions, type DiffResult } from "./diff";
import { parseFailIf } from "./fail-if";
import { loadRunSide, type Side } from "./run-side";

/** Loads `ref`: a `.yaml`/`.yml` file that exists is a config; anything else is a run id or folder. */
export async function loadSide(ref: string, runsDir: string, opts: { set?: string[] } = {}): Promise<Side> {
  if (/\.ya?ml$/i.test(ref)) {
    if (!existsSync(ref)) throw new ExitError(`tessera: ${ref}: no such config file`);
    if (!statSync(ref).isFile()) throw new ExitError(`tessera: ${ref}: not a regular file, expected a YAML config`);
    const loaded = await loadConfig(ref, { set: opts.set ?? [] });
    return { kind: "config", ref, label: ref, file: ref, config: loaded.config, configHash: loaded.configHash };
  }
  return loadRunSide(resolveRunRef(ref, runsDir));
}

/** Loads both sides (config files or runs) and compares them. */
export async function diffSides(refA: string, refB: string, opts: DiffOptions): Promise<DiffResult> {
  // A bad expression is a usage error before anything is loaded.
  if (opts.failIf !== undefined) parseFailIf(opts.failIf);
  const [a, b] = await Promise.all([loadSide(refA, opts.runsDir), loadSide(refB, opts.runsDir)]);
  return diffLoaded(a, b, opts);
}
