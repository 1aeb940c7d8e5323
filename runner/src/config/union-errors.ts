/**
 * Ajv reports an untagged `anyOf` (`lr: 1e-4 | {min, max} | {find: true}`, `schedule: name |
 * {name, ...}`, every enum TypeBox writes as a union of literals) with the errors of every branch.
 * A person wants the branch they meant: pick it by the value's shape and keep only its errors;
 * when no branch fits the shape, say what the union accepts. Written by hand because Ajv's
 * `discriminator` covers tagged `oneOf` only and ajv-errors cannot choose a branch by shape.
 */
import type { ErrorObject } from "ajv";
import { received } from "./problems";
import { didYouMean } from "./suggest";

type Schema = Record<string, unknown>;

/** Replaces each `anyOf` error (outermost first) by the errors of the branch the value meant. */
export function pruneUnionErrors(errors: ErrorObject[]): ErrorObject[] {
  let list = [...errors];
  const unions = list.filter((e) => e.keyword === "anyOf").sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const union of unions) {
    if (!list.includes(union)) continue;
    const prefix = `${union.schemaPath}/`;
    const branches = (union.schema ?? []) as Schema[];
    const pick = pickBranch(branches, union.data);
    // Stages share one schema, so a branch error belongs to this union only under its instance too.
    const inside = (e: ErrorObject) =>
      e.schemaPath.startsWith(prefix) &&
      (e.instancePath === union.instancePath || e.instancePath.startsWith(`${union.instancePath}/`));
    list = list.filter(
      (e) => e !== union && (!inside(e) || (pick !== null && e.schemaPath.startsWith(`${prefix}${pick}/`))),
    );
    if (pick === null) {
      list.push({ ...union, keyword: "union", params: {}, message: describeMismatch(branches, union.data) });
    }
  }
  return list;
}

/** Literal values of a branch (`const`, or a union of consts), or `null` if it is not literal. */
function literals(schema: Schema): unknown[] | null {
  if ("const" in schema) return [schema.const];
  if (Array.isArray(schema.anyOf)) {
    const all = (schema.anyOf as Schema[]).map(literals);
    return all.every((l) => l !== null) ? (all as unknown[][]).flat() : null;
  }
  return null;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? "object" : typeof value;
}

function branchTypes(schema: Schema): string[] {
  const lits = literals(schema);
  if (lits) return [...new Set(lits.map(jsonType))];
  if (typeof schema.type === "string") return [schema.type === "integer" ? "number" : schema.type];
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Schema[]).flatMap(branchTypes);
  return [];
}

/** The index of the branch the value means, or `null` when none fits its shape. */
export function pickBranch(branches: Schema[], value: unknown): number | null {
  const type = jsonType(value);
  const candidates = branches.map((b, i) => ({ b, i })).filter(({ b }) => branchTypes(b).includes(type));
  if (candidates.length === 0) return null;
  // A literal branch the value is not one of: better to say what the whole union takes.
  const nonLiteral = candidates.filter(({ b }) => literals(b) === null);
  if (nonLiteral.length === 0) return null;
  if (nonLiteral.length === 1) return nonLiteral[0]!.i;
  if (type !== "object") return nonLiteral[0]!.i;
  // Several mapping shapes: the one that knows most of the keys and misses fewest required ones.
  const keys = Object.keys(value as object);
  let best: { i: number; score: number } | null = null;
  for (const { b, i } of nonLiteral) {
    const props = Object.keys((b.properties as object | undefined) ?? {});
    const required = (b.required as string[] | undefined) ?? [];
    const score = keys.filter((k) => props.includes(k)).length * 2 - required.filter((r) => !keys.includes(r)).length;
    if (best === null || score > best.score) best = { i, score };
  }
  return best !== null && keys.length > 0 && best.score > 0 ? best.i : null;
}

/** `must be one of "a", "b", received "c"; did you mean ...` or `must be a number, {min, max} or ...`. */
function describeMismatch(branches: Schema[], value: unknown): string {
  const lits = branches.map(literals);
  if (lits.every((l) => l !== null)) {
    const values = (lits as unknown[][]).flat().map(String);
    const hint = typeof value === "string" ? didYouMean(value, values) : "";
    return `must be one of ${values.join(", ")}, received ${received(value)}${hint}`;
  }
  const parts = branches.map(describeBranch);
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(", ")} or ${parts.at(-1)}` : (parts[0] ?? "valid");
  const words = lits.flatMap((l) => l ?? []).filter((l): l is string => typeof l === "string");
  const hint = typeof value === "string" ? didYouMean(value, words) : "";
  return `must be ${list}, received ${received(value)}${hint}`;
}

function describeBranch(schema: Schema): string {
  const lits = literals(schema);
  if (lits) return lits.map((l) => JSON.stringify(l)).join(", ");
  if (schema.type === "object" && schema.properties) {
    const props = schema.properties as Record<string, Schema>;
    const required = (schema.required as string[] | undefined) ?? [];
    const shown = required.map((k) => ("const" in (props[k] ?? {}) ? `${k}: ${JSON.stringify(props[k]!.const)}` : k));
    return `{${shown.join(", ")}}`;
  }
  const tag = (schema.discriminator as { propertyName?: string } | undefined)?.propertyName;
  if (tag) return `{${tag}: ..., ...}`;
  if (schema.type === "object") return "a mapping";
  if (schema.type === "array") return "a list";
  if (schema.type === "integer") return "an integer";
  return `a ${String(schema.type)}`;
}
