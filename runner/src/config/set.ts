/**
 * `--set 'train.stages[1].epochs=3'`: overrides one value of the merged config before it is
 * validated, so a bad value is reported like any other (located at the flag). Values are YAML
 * (`3`, `1e-6`, `[head]`, `{min: 1e-6, max: 1e-4}`). Missing mappings on the way are created; a
 * missing list element or a path through a non-mapping is a problem naming the path.
 */
import { parse } from "yaml";
import { formatPath, isNamedIndex, parsePath, PathSyntaxError, type PathSegment } from "@tessera/shared";
import { isRecord } from "./extends";
import type { Problem } from "./problems";
import { didYouMean } from "./suggest";

/** One applied `--set`, kept so problems under its path point at the flag. */
export interface SetOverride {
  flag: string;
  path: PathSegment[];
}

/** Applies every `--set` to `config` (in place); returns what was applied and the problems. */
export function applySets(
  config: Record<string, unknown>,
  sets: readonly string[],
): { applied: SetOverride[]; problems: Problem[] } {
  const applied: SetOverride[] = [];
  const problems: Problem[] = [];
  for (const flag of sets) {
    const display = `--set ${flag}`;
    const fail = (path: string, message: string) =>
      problems.push({ file: display, path, message, source: "set", severity: "error" });
    const eq = flag.indexOf("=");
    if (eq <= 0) {
      fail("(root)", `expected path=value, e.g. 'train.stages[1].epochs=3', received ${JSON.stringify(flag)}`);
      continue;
    }
    let path: PathSegment[];
    try {
      path = parsePath(flag.slice(0, eq).trim());
    } catch (error) {
      if (!(error instanceof PathSyntaxError)) throw error;
      fail("(root)", error.message);
      continue;
    }
    if (path.length === 0) {
      fail("(root)", "the path is empty; name a value, e.g. 'seed=1'");
      continue;
    }
    let value: unknown;
    try {
      value = parse(flag.slice(eq + 1), { prettyErrors: false });
    } catch (error) {
      fail(formatPath(path), `the value is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
      continue;
    }
    const problem = setAt(config, path, value ?? null);
    if (problem) fail(formatPath(path), problem);
    else applied.push({ flag: display, path: resolvedIndices(config, path) });
  }
  return { applied, problems };
}

function setAt(root: Record<string, unknown>, path: PathSegment[], value: unknown): string | null {
  let node: unknown = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as PathSegment;
    const last = i === path.length - 1;
    const here = formatPath(path.slice(0, i));
    if (typeof segment === "string") {
      if (!isRecord(node)) return `cannot set "${segment}": ${here} is not a mapping`;
      // Own keys only: `toString` or `hasOwnProperty` are not config values to walk into.
      if (last) {
        defineOwn(node, segment, value);
        return null;
      }
      if (!Object.hasOwn(node, segment) || node[segment] === undefined) {
        // Mappings on the way are created; list elements cannot be, so the path is missing here.
        if (path.slice(i + 1).some((seg) => typeof seg !== "string")) {
          return `no such path: ${formatPath(path.slice(0, i + 1))} does not exist${didYouMean(segment, Object.keys(node))}`;
        }
        // Null prototype: nothing a later write by key does to it can reach Object.prototype.
        defineOwn(node, segment, Object.create(null));
      }
      node = node[segment];
    } else {
      if (!Array.isArray(node)) return `${here} is not a list, so it has no element ${formatPath([segment])}`;
      const index = isNamedIndex(segment) ? node.findIndex((e) => isRecord(e) && e.name === segment.name) : segment;
      if (index < 0 || index >= node.length) {
        const names = node.map((e, j) => (isRecord(e) && typeof e.name === "string" ? `${j}/${e.name}` : `${j}`));
        return `no such element: ${here} has ${node.length} (${names.join(", ")})`;
      }
      if (last) {
        node[index] = value;
        return null;
      }
      node = node[index];
    }
  }
  return null;
}

/** Sets `key` as an own data property, so even a key the parser missed cannot replace a prototype. */
function defineOwn(node: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Named segments become indices, so a `--set` matches the schema's error paths. */
function resolvedIndices(root: unknown, path: PathSegment[]): PathSegment[] {
  let node = root;
  return path.map((segment) => {
    if (isNamedIndex(segment) && Array.isArray(node)) {
      const index = node.findIndex((e) => isRecord(e) && e.name === segment.name);
      node = node[index];
      return index;
    }
    node = isRecord(node) || Array.isArray(node) ? (node as Record<string, unknown>)[segment as string] : undefined;
    return segment;
  });
}
