/**
 * A path-by-path diff of two resolved configs, stages named by their `name`
 * (`train.stages[fine-tune].lr.min`). A stop-gap until E8's schema-aware `shared/src/diff.ts`
 * is exported from `@tessera/shared`; the compare page only needs `{ path, before, after }`.
 */

/** One differing path; `before`/`after` are undefined where the path is absent on that side. */
export interface PathChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Arrays of named objects (stages) are keyed by name so an inserted stage does not shift the rest. */
function keyed(list: unknown[]): Map<string, unknown> | null {
  const names = list.map((v) => (isPlainObject(v) && typeof v.name === "string" ? v.name : null));
  if (names.some((n) => n === null) || new Set(names).size !== names.length) return null;
  return new Map(list.map((v, i) => [names[i]!, v]));
}

function walk(path: string, a: unknown, b: unknown, out: PathChange[]): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      walk(path ? `${path}.${key}` : key, a[key], b[key], out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.some(isPlainObject)) {
    const ka = keyed(a);
    const kb = keyed(b);
    if (ka && kb) {
      for (const key of new Set([...ka.keys(), ...kb.keys()])) walk(`${path}[${key}]`, ka.get(key), kb.get(key), out);
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(`${path}[${i}]`, a[i], b[i], out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, before: a, after: b });
}

/** Every path whose value differs from `a` to `b`, in a's key order. */
export function diffByPath(a: unknown, b: unknown): PathChange[] {
  const out: PathChange[] = [];
  walk("", a, b, out);
  return out;
}
