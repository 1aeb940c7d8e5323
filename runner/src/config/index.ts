/**
 * Load -> validate -> resolve: a YAML experiment file (plus `extends` bases and `--set` flags)
 * becomes a `ResolvedConfig` and its `config_hash`, or every problem, each pinned to file:line:col.
 *
 * `checkConfig` returns results (for `validate`, tests, the dashboard); `loadConfig` throws a
 * `ConfigError` whose message lists every problem (for `run`, `plan` and friends).
 */
import { resolve as resolvePath } from "node:path";
import type { ExperimentConfig, PathSegment, ResolvedConfig } from "@tessera/shared";
import { ConfigError } from "../errors";
import { loadLayers, type Layers } from "./extends";
import { configHash } from "./hash";
import { formatProblem, problemAt, sortProblems, type Locator, type Problem } from "./problems";
import { resolve } from "./resolve";
import { RULES } from "./rules";
import { checkSchema } from "./schema-check";
import { applySets, type SetOverride } from "./set";
import { checkSweepSection } from "./sweep-check";
import { displayName, findNode, nodePos } from "./source";
import { toWrittenYaml } from "./written";

export { canonicalJson, configHash } from "./hash";
export { formatProblem, type Problem } from "./problems";
export { resolve } from "./resolve";
export { toWritten, toWrittenYaml } from "./written";
export { RULES, MIN_SIZE } from "./rules";
export { plannedTrials, trialSets, type SweepTrial } from "./sweep-check";

/** A config that loaded: what every command and the run store take. */
export interface LoadedConfig {
  config: ResolvedConfig;
  /** sha256 hex of the canonical resolved config without machine-specific fields. */
  configHash: string;
  /** Absolute path of the file named on the command line. */
  file: string;
  /** The resolved config as YAML with every default spelled out (a valid written config). */
  resolvedYaml: string;
}

/** Options of `checkConfig` / `loadConfig`. */
export interface LoadOptions {
  /** `--set path=value` flags, applied in order. */
  set?: readonly string[];
  /** Also check that the data path exists. */
  checkData?: boolean;
  /** Check every trial of a `sweep:` section too (off for one trial's own run). @default true */
  sweepTrials?: boolean;
}

/** The outcome of checking one file: a loaded config, or its errors; warnings either way. */
export type CheckResult =
  | { ok: true; loaded: LoadedConfig; warnings: Problem[] }
  | { ok: false; file: string; errors: Problem[]; warnings: Problem[] };

/** Loads, validates and resolves `file`; returns every problem instead of throwing. */
export async function checkConfig(file: string, opts: LoadOptions = {}): Promise<CheckResult> {
  const absolute = resolvePath(file);
  const { layers, problems } = await loadLayers(absolute);
  if (!layers) return split(absolute, problems);
  const merged = layers.merged;
  const { applied, problems: setProblems } = applySets(merged, opts.set ?? []);
  // A data path given with --set is relative to where the command runs, like any CLI path.
  const data = merged.data as Record<string, unknown> | undefined;
  if (applied.some((s) => s.path[0] === "data") && typeof data?.path === "string" && data.path !== "") {
    data.path = resolvePath(data.path);
  }
  const locate = locator(layers, applied);
  const schemaProblems = checkSchema(merged, locate);
  // A bad --set and the file's own problems are reported together; rules need a clean schema pass.
  if (setProblems.length > 0 || schemaProblems.length > 0) return split(absolute, [...setProblems, ...schemaProblems]);
  const config = resolve(merged as ExperimentConfig);
  const ruleProblems = Object.entries(RULES).flatMap(([name, rule]) =>
    rule({ config, checkData: opts.checkData ?? false }).map((f) =>
      problemAt(locate, f.path, f.message, name, { severity: f.severity }),
    ),
  );
  const result = split(absolute, ruleProblems);
  if (!result.ok && result.errors.length > 0) return result;
  const written = merged as ExperimentConfig;
  if (written.sweep && opts.sweepTrials !== false) {
    const sweepProblems = await checkSweepSection({ ...written, sweep: written.sweep }, locate, async (sets) => {
      const trial = await checkConfig(file, { ...opts, set: [...(opts.set ?? []), ...sets], sweepTrials: false });
      return trial.ok ? [] : trial.errors;
    });
    if (sweepProblems.length > 0) return split(absolute, [...ruleProblems, ...sweepProblems]);
  }
  const header = `# Resolved by tessera from ${displayName(absolute)}: every default spelled out.\n`;
  return {
    ok: true,
    loaded: {
      config,
      configHash: configHash(config),
      file: absolute,
      resolvedYaml: header + toWrittenYaml(config),
    },
    warnings: sortProblems(ruleProblems.filter((p) => p.severity === "warning")),
  };
}

function split(file: string, problems: Problem[]): CheckResult & { ok: false } {
  const sorted = sortProblems(problems);
  return {
    ok: false,
    file,
    errors: sorted.filter((p) => p.severity === "error"),
    warnings: sorted.filter((p) => p.severity === "warning"),
  };
}

/**
 * Loads `file` for use; throws `ConfigError` listing every problem (file:line:col  path: message).
 * Warnings go to stderr.
 */
export async function loadConfig(file: string, opts: LoadOptions = {}): Promise<LoadedConfig> {
  const result = await checkConfig(file, opts);
  for (const w of result.warnings) process.stderr.write(`${formatProblem(w)}\n`);
  if (result.ok) return result.loaded;
  const lines = result.errors.map(formatProblem);
  const count = `${lines.length} problem${lines.length === 1 ? "" : "s"}`;
  throw new ConfigError(`${lines.join("\n")}\n${displayName(result.file)}: invalid config (${count})`, lines);
}

/** Pins a config path to the `--set` flag that wrote it, else to the deepest node in the layer files. */
function locator(layers: Layers, sets: SetOverride[]): Locator {
  return (path: readonly PathSegment[], at) => {
    // A problem inside a value that a `--set` wrote belongs to that flag (the last one wins).
    const set = [...sets]
      .reverse()
      .find((s) => s.path.length <= path.length && s.path.every((seg, i) => seg === path[i]));
    if (set) return { file: set.flag };
    let best: { file: string; line: number; col: number; depth: number } | null = null;
    for (const file of layers.files) {
      const { node, depth } = findNode(file, path, at);
      if (best === null || depth > best.depth) best = { file: file.display, ...nodePos(file, node), depth };
    }
    return best ? { file: best.file, line: best.line, col: best.col } : { file: "(config)" };
  };
}
