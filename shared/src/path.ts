/**
 * The one path syntax for config values — in error messages, `--set` and diffs:
 * `train.stages[1].lr.min`. Diffs may name an array element by its `name` field instead of its
 * index: `train.stages[fine-tune].lr.min`. Keys that are not plain identifiers are quoted:
 * `model.groups["my group"]`.
 */

/** An array element named by its `name` field (`stages[fine-tune]`). */
export interface NamedIndex {
  name: string;
}

/** One step of a path: an object key, an array index, or an array element by name. */
export type PathSegment = string | number | NamedIndex;

/** A path string that does not parse; `message` names the offset and what was expected. */
export class PathSyntaxError extends Error {
  constructor(
    readonly path: string,
    readonly offset: number,
    problem: string,
  ) {
    super(`bad path "${path}" at character ${offset + 1}: ${problem}`);
    this.name = "PathSyntaxError";
  }
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
/** A stage name usable in brackets: not all digits, which would read as an index. */
const NAME_IN_BRACKETS = /^(?!\d+$)[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Keys that reach an object's prototype when assigned (`obj["__proto__"] = v` replaces it,
 * `obj.constructor.prototype` is every object's). A path naming one could pollute
 * `Object.prototype` in whatever code writes by path, so the parser refuses them outright.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** True for a segment written `[name]` rather than a key or an index. */
export function isNamedIndex(segment: PathSegment): segment is NamedIndex {
  return typeof segment === "object";
}

/**
 * Formats segments as a path: `["train", "stages", 1, "lr", "min"]` -> `train.stages[1].lr.min`.
 * The empty path formats as `(root)`, which is how errors name the whole document.
 */
export function formatPath(segments: readonly PathSegment[]): string {
  if (segments.length === 0) return "(root)";
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (isNamedIndex(segment)) out += `[${segment.name}]`;
    else if (PLAIN_KEY.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * Parses a path string into segments; the inverse of `formatPath`. `[1]` is an index, `[name]`
 * a named element, `["any key"]` a quoted key. Throws `PathSyntaxError` on anything else.
 */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let i = 0;
  if (path === "" || path === "(root)") return segments;
  while (i < path.length) {
    const ch = path[i];
    if (ch === "[") {
      const close = findClosingBracket(path, i);
      const inner = path.slice(i + 1, close);
      if (/^\d+$/.test(inner)) segments.push(Number(inner));
      else if (inner.startsWith('"')) segments.push(checkedKey(path, i + 1, parseQuoted(path, i + 1, inner)));
      else if (NAME_IN_BRACKETS.test(inner)) segments.push({ name: inner });
      else throw new PathSyntaxError(path, i + 1, `expected an index, a name or a "quoted key" inside [ ]`);
      i = close + 1;
    } else {
      if (segments.length > 0) {
        if (ch !== ".") throw new PathSyntaxError(path, i, `expected "." or "[" but found "${ch}"`);
        i++;
      }
      const match = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(path.slice(i));
      if (!match) throw new PathSyntaxError(path, i, "expected a key");
      segments.push(checkedKey(path, i, match[0]));
      i += match[0].length;
    }
  }
  return segments;
}

function checkedKey(path: string, offset: number, key: string): string {
  if (FORBIDDEN_KEYS.has(key)) {
    throw new PathSyntaxError(path, offset, `"${key}" is not allowed as a key (it would reach the object prototype)`);
  }
  return key;
}

function findClosingBracket(path: string, open: number): number {
  let inString = false;
  for (let j = open + 1; j < path.length; j++) {
    const c = path[j];
    if (inString && c === "\\") j++;
    else if (c === '"') inString = !inString;
    else if (c === "]" && !inString) return j;
  }
  throw new PathSyntaxError(path, open, `unclosed "["`);
}

function parseQuoted(path: string, offset: number, inner: string): string {
  try {
    const value: unknown = JSON.parse(inner);
    if (typeof value === "string") return value;
  } catch {
    // fall through to the error below
  }
  throw new PathSyntaxError(path, offset, "bad quoted key");
}

/**
 * Rewrites index segments of arrays whose elements have a `name` into named segments, looking the
 * names up in `root` — `train.stages[1]` becomes `train.stages[fine-tune]`. Used by diffs, so a
 * stage inserted in the middle does not make every later stage look changed.
 */
export function nameIndices(segments: readonly PathSegment[], root: unknown): PathSegment[] {
  const out: PathSegment[] = [];
  let node: unknown = root;
  for (const segment of segments) {
    if (typeof segment === "number" && Array.isArray(node)) {
      const element: unknown = node[segment];
      const name = isRecord(element) ? element.name : undefined;
      out.push(typeof name === "string" && NAME_IN_BRACKETS.test(name) ? { name } : segment);
      node = element;
    } else {
      out.push(segment);
      node = lookupSegment(node, segment);
    }
  }
  return out;
}

/** Follows one segment from `node`; `undefined` when it leads nowhere. */
export function lookupSegment(node: unknown, segment: PathSegment): unknown {
  if (typeof segment === "number") return Array.isArray(node) ? node[segment] : undefined;
  if (isNamedIndex(segment)) {
    return Array.isArray(node) ? node.find((e) => isRecord(e) && e.name === segment.name) : undefined;
  }
  return isRecord(node) && Object.hasOwn(node, segment) ? node[segment] : undefined;
}

/** Follows a whole path from `root`; `undefined` when it leads nowhere. */
export function getAtPath(root: unknown, segments: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of segments) {
    node = lookupSegment(node, segment);
    if (node === undefined) return undefined;
  }
  return node;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
