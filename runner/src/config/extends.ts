/**
 * `extends: base.yaml`: a config is merged onto its base (paths relative to the file that says
 * `extends`; bases may extend further). Mappings merge key by key, everything else — lists
 * included, so `train.stages` — is replaced whole. Cycles and missing files are problems naming
 * the `extends` line.
 */
import { dirname, isAbsolute, resolve } from "node:path";
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
  let next: string | null = absolute;
  while (next !== null) {
    const { file, problems } = await readSource(next);
    if (!file) {
      const parent = files.at(-1);
      if (parent && problems[0]?.message === "file not found") {
        const written = String((parent.value as Record<string, unknown>).extends);
        return { problems: [extendsProblem(parent, `base file not found: ${written} (${displayName(next)})`)] };
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
