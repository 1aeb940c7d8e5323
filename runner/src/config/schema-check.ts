/**
 * The schema pass: Ajv's validator, compiled ahead of time by `pnpm schema:write` (strict,
 * allErrors, discriminator; shared/src/validator-code.ts) so start-up does not compile the
 * schema, and its raw errors turned into one clear problem each. Tagged unions (`oneOf` + `discriminator`) already
 * report only the branch their tag names; for untagged unions (`lr`, `schedule`, enums) the branch
 * is picked by the value's shape (see ./union-errors).
 */
import type { ErrorObject } from "ajv";
import type { PathSegment } from "@tessera/shared";
import validateSchema from "@tessera/shared/experiment.validate";
import { type Locator, problemAt, received, type Problem } from "./problems";
import { didYouMean, nearest } from "./suggest";
import { pruneUnionErrors } from "./union-errors";

/** Checks the merged config against the schema; returns its problems (none: it is an `ExperimentConfig`). */
export function checkSchema(value: unknown, locate: Locator): Problem[] {
  if (validateSchema(value)) return [];
  const errors = dropMisspeltRequired(pruneUnionErrors(validateSchema.errors ?? []));
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const error of errors) {
    const problem = toProblem(error, locate);
    const key = `${problem.path}\u0000${problem.message}`;
    if (!seen.has(key)) problems.push(problem);
    seen.add(key);
  }
  return problems;
}

/** `lr_range: 1e-3` is one mistake, not two: drop "lr missing" when an unknown sibling key suggests it. */
function dropMisspeltRequired(errors: ErrorObject[]): ErrorObject[] {
  const meant = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== "additionalProperties") continue;
    const known = Object.keys(((e.parentSchema as Record<string, unknown>)?.properties as object | undefined) ?? {});
    const hit = nearest(String((e.params as { additionalProperty: unknown }).additionalProperty), known);
    if (hit !== null) meant.add(`${e.instancePath}/${hit}`);
  }
  return errors.filter(
    (e) => e.keyword !== "required" || !meant.has(`${e.instancePath}/${String(e.params.missingProperty)}`),
  );
}

/** `/train/stages/1/lr` -> `["train", "stages", 1, "lr"]`. */
export function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function toProblem(e: ErrorObject, locate: Locator): Problem {
  const path = pointerToPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  const at = (p: PathSegment[], message: string, where?: "key") =>
    problemAt(locate, p, message, "schema", { at: where });
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      const known = Object.keys((parent.properties as object | undefined) ?? {});
      const patterns = Object.keys((parent.patternProperties as object | undefined) ?? {});
      if (known.length === 0 && patterns.length > 0) {
        const words = patterns.map((p) => PATTERN_WORDS[p] ?? `match /${p}/`).join(" or ");
        return at([...path, key], `bad name: must ${words}, received ${JSON.stringify(key)}`, "key");
      }
      const hint = didYouMean(key, known);
      return at([...path, key], `unknown key${hint || `; expected one of ${known.join(", ")}`}`, "key");
    }
    case "required":
      return at([...path, String(params.missingProperty)], "missing; this key is required");
    case "type": {
      // .inf and .nan are numbers to YAML but not to JSON Schema.
      const finite = typeof e.data === "number" && !Number.isFinite(e.data) ? "finite " : "";
      const want = typeName(String(params.type)).replace(/^an? /, (a) => (finite ? `a ${finite}` : a));
      return at(path, `must be ${want}, received ${received(e.data)}`);
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return at(path, `must be ${params.comparison} ${params.limit}, received ${received(e.data)}`);
    case "minItems":
    case "maxItems": {
      const word = e.keyword === "minItems" ? "at least" : "at most";
      const n = Array.isArray(e.data) ? e.data.length : 0;
      return at(path, `must have ${word} ${params.limit} item${params.limit === 1 ? "" : "s"}, received ${n}`);
    }
    case "uniqueItems":
      return at(path, `must not repeat items (items ${params.j} and ${params.i} are the same)`);
    case "minLength":
      return at(path, "must not be empty");
    case "maxLength":
      return at(path, `must be at most ${params.limit} characters, received ${String(e.data).length}`);
    case "pattern": {
      const hint = PATTERN_WORDS[String(params.pattern)];
      return at(path, `must ${hint ?? `match /${params.pattern}/`}, received ${received(e.data)}`);
    }
    case "const":
      return at(path, `must be ${JSON.stringify(params.allowedValue)}, received ${received(e.data)}`);
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map(String);
      return at(
        path,
        `must be one of ${allowed.join(", ")}, received ${received(e.data)}${didYouMean(String(e.data), allowed)}`,
      );
    }
    case "discriminator": {
      const tag = String(params.tag);
      const values = ((parent.oneOf as Record<string, unknown>[] | undefined) ?? []).map((b) =>
        String(((b.properties as Record<string, { const?: unknown }>)[tag] ?? {}).const),
      );
      if (params.error === "tag" && params.tagValue === undefined) {
        return at([...path, tag], `missing; this key is required (one of ${values.join(", ")})`);
      }
      const value = params.tagValue;
      const hint = typeof value === "string" ? didYouMean(value, values) : "";
      return at([...path, tag], `must be one of ${values.join(", ")}, received ${received(value)}${hint}`);
    }
    case "union":
      return at(path, e.message ?? "invalid value");
    default:
      return at(path, `${e.message ?? "invalid"}, received ${received(e.data)}`);
  }
}

/** The schema's name patterns in words (the regex is still in the JSON Schema for editors). */
const PATTERN_WORDS: Record<string, string> = {
  "^(?![0-9]+$)[A-Za-z0-9_][A-Za-z0-9_.-]*$": "be letters, digits, _ . - (not only digits, no spaces)",
  "^[A-Za-z0-9][A-Za-z0-9_.-]*$": "be letters, digits, _ . - starting with a letter or digit (no spaces)",
  "^[A-Za-z_][A-Za-z0-9_-]*$": "be letters, digits, _ - starting with a letter or _",
};

function typeName(type: string): string {
  switch (type) {
    case "integer":
      return "an integer";
    case "object":
      return "a mapping";
    case "array":
      return "a list";
    case "null":
      return "empty";
    default:
      return `a ${type.replace(/,/g, " or ")}`;
  }
}
