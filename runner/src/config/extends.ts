/**
 * `extends: base.yaml`: a config is merged onto its base (paths relative to the file that says
 * `extends`; bases may extend further). Mappings merge key by key, everything else — lists
 * included, so `train.stages` — is replaced whole. Cycles and missing files are problems naming
 * the `extends` line. A base must be a `.yaml`/`.yml` regular file inside the first config's
 * folder or a folder listed in `TESSERA_CONFIG_ROOTS`; anything else is refused before reading.
 */
import { realpathSync } from "node:fs";
import { delimiter, dirname, isAbsolute, resolve, sep } from "node:path";
import { problemAt, type Problem } from "./problems";
import { displayName, findNode, nodePos, readSource, type SourceFile } from "./source";

/** Files from the most derived (the one named on the command line) to the last base. */
export interface Layers {
  files: SourceFile[];
  merged: Record<string, unknown>;
}

const MAX_DEPTH = 20;

/** Reads `absolute` and every base it extends; merges them. */
export async function loadLayers(absolute: string): Promise<{ layers?: Layers; problems: Problem[] }> {
  const files: SourceFile[] = [];
  const seen: string[] = [];
  const roots = allowedRoots(absolute);
  let next: string | null = absolute;
  while (next !== null) {
    const parent = files.at(-1);
    const written = parent ? String((parent.value as Record<string, unknown>).extends) : "";
    if (parent) {
      const refused = refuseBase(next, written, roots);
      if (refused) return { problems: [extendsProblem(parent, refused)] };
    }
    const { file, problems } = await readSource(next);
    if (!file) {
      if (parent && problems[0]?.message === "file not found") {
        return { problems: [extendsProblem(parent, `base file not found: ${written} (${displayName(next)})`)] };
      }
      // A base that cannot be read at all (not a regular file, too large, binary) is the `extends`
      // line's problem; syntax and schema problems inside a readable base keep their own lines.
      if (parent && problems.every((p) => p.source === "file")) {
        return { problems: problems.map((p) => extendsProblem(parent, `base file ${written}: ${p.message}`)) };
      }
      return { problems };
    }
    files.push(file);
    seen.push(next);
    const base = (file.value as Record<string, unknown>).extends;
    if (base === undefined) break;
    if (typeof base !== "string" || base === "") {
      return {
        problems: [extendsProblem(file, `must be a path to a base YAML file, received ${JSON.stringify(base)}`)],
      };
    }
    next = isAbsolute(base) ? base : resolve(dirname(file.path), base);
    if (seen.includes(next)) {
      const cycle = [...seen.slice(seen.indexOf(next)), next].map((p) => files.find((f) => f.path === p)?.display ?? p);
      return { problems: [extendsProblem(file, `extends cycle: ${cycle.join(" -> ")}`)] };
    }
    if (files.length >= MAX_DEPTH)
      return { problems: [extendsProblem(file, `more than ${MAX_DEPTH} levels of extends`)] };
  }
  let merged: Record<string, unknown> = {};
  for (const file of [...files].reverse()) merged = mergeConfig(merged, file.value as Record<string, unknown>);
  delete merged.extends;
  // `data.path` is relative to the file that wrote it: make it absolute before the layers blur.
  const data = merged.data;
  if (isRecord(data) && typeof data.path === "string" && data.path !== "") {
    const owner = files.find((f) => isRecord((f.value as Record<string, unknown>).data) && hasPath(f.value));
    if (owner && !isAbsolute(data.path)) merged.data = { ...data, path: resolve(dirname(owner.path), data.path) };
  }
  return { layers: { files, merged }, problems: [] };
}

/**
 * Folders a base may come from: the folder of the config named on the command line (and below),
 * plus any listed in `TESSERA_CONFIG_ROOTS` (separated like PATH). Real paths, so a symlink
 * inside cannot lead out. Without this, `extends: /etc/passwd` read any file and quoted it in
 * `validate`, `plan`, the dashboard and CI comments.
 */
export function allowedRoots(config: string, env: string | undefined = process.env.TESSERA_CONFIG_ROOTS): string[] {
  const listed = (env ?? "").split(delimiter).filter((p) => p.trim() !== "");
  return [dirname(config), ...listed.map((p) => resolve(p))].map(realOrSelf);
}

/** Why `base` (absolute, as written `written`) may not be read as a base, or null when it may. */
function refuseBase(base: string, written: string, roots: readonly string[]): string | null {
  if (!/\.ya?ml$/i.test(base)) {
    return `must name a .yaml or .yml file, received ${JSON.stringify(written)}`;
  }
  const real = realOrSelf(base);
  if (!roots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep))) {
    return (
      `base file ${JSON.stringify(written)} lies outside this config's folder ${displayName(roots[0] ?? "")}; ` +
      `to allow another folder, list it in TESSERA_CONFIG_ROOTS`
    );
  }
  return null;
}

/** The real path when it exists (symlinks followed), else the path as given. */
function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function hasPath(value: unknown): boolean {
  const data = (value as Record<string, unknown>).data;
  return isRecord(data) && typeof data.path === "string";
}

function extendsProblem(file: SourceFile, message: string): Problem {
  const locate = () => ({ file: file.display, ...nodePos(file, findNode(file, ["extends"]).node) });
  return problemAt(locate, ["extends"], message, "extends");
}

/** Deep-merges `over` onto `base`: mappings by key, anything else replaced. */
export function mergeConfig(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = Object.hasOwn(out, key) ? out[key] : undefined;
    const merged = isRecord(prev) && isRecord(value) && sameVariant(prev, value) ? mergeConfig(prev, value) : value;
    // A YAML key `__proto__` is an own property; `out[key] = ...` would make it out's prototype
    // instead. Defining it keeps it a plain key, which the schema then rejects as unknown.
    Object.defineProperty(out, key, { value: merged, writable: true, enumerable: true, configurable: true });
  }
  return out;
}

/** Tagged mappings (`source:`, `name:`, `from:`) of different kinds replace rather than merge. */
function sameVariant(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return ["source", "from", "name"].every((tag) => !(tag in a && tag in b) || a[tag] === b[tag]);
}

/** A plain mapping (not null, not a list). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
