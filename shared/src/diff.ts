/**
 * The schema-aware, stage-aware config diff: what changed between two resolved configs, each
 * change named by one path in the shared syntax (`train.stages[fine-tune].lr.min: 1e-8 → 1e-7`).
 * Used by `tessera diff`, `tessera report --vs` and the dashboard's compare page, so it is pure
 * (no Node APIs).
 *
 * What "schema-aware" buys over a plain JSON diff:
 * - stages are matched by name, so an inserted stage is one `added` change instead of every later
 *   stage looking changed; a stage that kept its name but changed place is one `moved` change;
 * - tagged unions (`data.source`, `lr.kind`, `schedule.name`, `label.from`) that switch branch are
 *   one change of the whole value, not a pile of fields appearing and disappearing;
 * - lists of plain values (`trainable`, `moms`, a group's parts) are compared whole;
 * - `model.groups` is ordered (discriminative LRs spread over it low to high), so an order change
 *   is reported;
 * - fields outside the config hash (`data.path`, `backend`, `inference_engine`) are marked `defining: false`.
 */
import type { ResolvedConfig, ResolvedStage } from "./resolved";
import { formatPath, type PathSegment } from "./path";

/** How a path changed from side a to side b. */
export type ChangeKind = "changed" | "added" | "removed" | "moved";

/** One difference between two configs. */
export interface ConfigChange {
  /** Path in the shared syntax; stages by name: `train.stages[fine-tune].lr.min`. */
  path: string;
  kind: ChangeKind;
  /** Value on side a; absent for `added`. For `moved`, the old stage index. */
  before?: unknown;
  /** Value on side b; absent for `removed`. For `moved`, the new stage index. */
  after?: unknown;
  /** False for fields the config hash leaves out because they differ by machine. */
  defining: boolean;
}

/** Paths (as written by `formatPath`) that do not define the experiment; see DESIGN.md's run store. */
const NON_DEFINING = new Set(["data.path", "backend", "inference_engine"]);

/** Tag keys of the tagged unions in the resolved config, by the key holding the union. */
const UNION_TAGS: Record<string, string> = { data: "source", label: "from", lr: "kind", schedule: "name" };

/**
 * Every difference from `a` to `b`, in the order of the config (a's keys, then keys only b has).
 * An empty list means the two configs define the same experiment on the same machine.
 */
export function diffConfigs(a: ResolvedConfig, b: ResolvedConfig): ConfigChange[] {
  return diffConfigDocuments(a, b);
}

/**
 * The same diff over config documents of unknown shape: written configs, or a run folder's
 * config.yaml parsed as is (the written form with every default spelled out). Stages without a
 * name are matched by index, as `stage<i>`. Prefer `diffConfigs` on resolved configs where the
 * config loader is at hand (a written `lr: 1e-3` and `lr: {min: 1e-3, max: 1e-3}` only compare
 * equal once resolved).
 */
export function diffConfigDocuments(a: unknown, b: unknown): ConfigChange[] {
  const out: ConfigChange[] = [];
  diffValue([], a, b, out);
  return out;
}

/** Stage label in paths: its name, or its index when it has only the default `stage<i>` name. */
export function stageSegment(stage: Pick<ResolvedStage, "name" | "index">): PathSegment {
  return stage.name === `stage${stage.index}` ? stage.index : { name: stage.name };
}

function push(out: ConfigChange[], path: PathSegment[], change: Omit<ConfigChange, "path" | "defining">): void {
  const text = formatPath(path);
  out.push({ path: text, ...change, defining: !NON_DEFINING.has(text) });
}

function diffValue(path: PathSegment[], a: unknown, b: unknown, out: ConfigChange[]): void {
  // Records are always walked (cheap), so an order change inside them is not hidden by deepEqual.
  if (!(isRecord(a) && isRecord(b)) && deepEqual(a, b)) return;
  const key = path[path.length - 1];
  if (key === "stages" && path.length === 2 && path[0] === "train" && isStageList(a) && isStageList(b)) {
    diffStages(path, withNames(a), withNames(b), out);
  } else if (isRecord(a) && isRecord(b)) {
    const tag = typeof key === "string" ? UNION_TAGS[key] : undefined;
    if (tag !== undefined && a[tag] !== b[tag]) push(out, path, { kind: "changed", before: a, after: b });
    else diffObject(path, a, b, out);
  } else {
    // Scalars, lists of plain values, and null <-> object (an optional block switched on or off).
    push(out, path, { kind: "changed", before: a, after: b });
  }
}

function diffObject(path: PathSegment[], a: Record<string, unknown>, b: Record<string, unknown>, out: ConfigChange[]) {
  for (const k of Object.keys(a)) {
    if (!Object.hasOwn(b, k)) push(out, [...path, k], { kind: "removed", before: a[k] });
    else diffValue([...path, k], a[k], b[k], out);
  }
  for (const k of Object.keys(b)) {
    if (!Object.hasOwn(a, k)) push(out, [...path, k], { kind: "added", after: b[k] });
  }
  if (formatPath(path) === "model.groups" && groupOrderDiffers(a, b)) {
    push(out, path, { kind: "moved", before: commonKeys(a, b), after: commonKeys(b, a) });
  }
}

const commonKeys = (x: Record<string, unknown>, y: Record<string, unknown>) =>
  Object.keys(x).filter((k) => Object.hasOwn(y, k));

function groupOrderDiffers(a: unknown, b: unknown): boolean {
  return isRecord(a) && isRecord(b) && !deepEqual(commonKeys(a, b), commonKeys(b, a));
}

function diffStages(path: PathSegment[], a: ResolvedStage[], b: ResolvedStage[], out: ConfigChange[]): void {
  const byName = new Map(b.map((s) => [s.name, s]));
  for (const sa of a) {
    const sb = byName.get(sa.name);
    if (sb === undefined) {
      push(out, [...path, stageSegment(sa)], { kind: "removed", before: sa });
      continue;
    }
    const at = [...path, stageSegment(sa)];
    if (sa.index !== sb.index) push(out, at, { kind: "moved", before: sa.index, after: sb.index });
    const { index: _ia, ...restA } = sa;
    const { index: _ib, ...restB } = sb;
    diffObject(at, restA, restB, out);
  }
  const namesA = new Set(a.map((s) => s.name));
  for (const sb of b) {
    if (!namesA.has(sb.name)) push(out, [...path, stageSegment(sb)], { kind: "added", after: sb });
  }
}

function isStageList(value: unknown): value is Record<string, unknown>[] {
  return Array.isArray(value) && value.every(isRecord);
}

/** Written stages may lack `name` and `index`: fill them as resolve() would (`stage<i>`, i). */
function withNames(stages: Record<string, unknown>[]): ResolvedStage[] {
  return stages.map((s, i) => {
    const index = typeof s.index === "number" ? s.index : i;
    return { ...s, name: typeof s.name === "string" ? s.name : `stage${index}`, index } as unknown as ResolvedStage;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON-like values (key order ignored; group order is checked apart). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * A value as one short line: `1e-7`, `resnet152`, `[late, head]`, an LR range `1e-6..1e-4`, a
 * schedule `sgdr(cycle_epochs: 1, cycle_mult: 2, min_lr_ratio: 0)`, a stage summarized.
 */
export function formatValue(value: unknown): string {
  if (value === undefined) return "(none)";
  if (value === null) return "null";
  if (typeof value === "string") return value === "" || /[\s,:{}[\]]/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  if (!isRecord(value)) return JSON.stringify(value);
  if (value.kind === "fixed" && typeof value.min === "number" && typeof value.max === "number") {
    return value.min === value.max ? formatNumber(value.min) : `${formatNumber(value.min)}..${formatNumber(value.max)}`;
  }
  if (value.kind === "find") return `find(${formatFields(value, ["kind"])})`;
  if (isStageLike(value)) {
    return `trainable ${formatValue(value.trainable)}, ${value.epochs} epochs, size ${value.size}, lr ${formatValue(value.lr)}, ${formatValue(value.schedule)}`;
  }
  if (typeof value.name === "string" && Object.keys(value).length > 0 && !("index" in value)) {
    const rest = formatFields(value, ["name"]);
    return rest === "" ? value.name : `${value.name}(${rest})`;
  }
  return `{${formatFields(value, [])}}`;
}

/** Small and large numbers in exponent form, as configs write learning rates: `1e-6`, not `0.000001`. */
export function formatNumber(n: number): string {
  const abs = Math.abs(n);
  return abs !== 0 && Number.isFinite(n) && (abs < 1e-3 || abs >= 1e6) ? n.toExponential() : String(n);
}

function formatFields(value: Record<string, unknown>, skip: string[]): string {
  return Object.entries(value)
    .filter(([k]) => !skip.includes(k))
    .map(([k, v]) => `${k}: ${formatValue(v)}`)
    .join(", ");
}

function isStageLike(value: Record<string, unknown>): boolean {
  return "trainable" in value && "epochs" in value && "size" in value && "lr" in value;
}

/** One change as one line: `train.stages[fine-tune].lr.min: 1e-8 → 1e-7`. */
export function formatChange(change: ConfigChange): string {
  switch (change.kind) {
    case "changed":
      return `${change.path}: ${formatValue(change.before)} → ${formatValue(change.after)}`;
    case "added":
      return `${change.path}: added (${formatValue(change.after)})`;
    case "removed":
      return `${change.path}: removed (was ${formatValue(change.before)})`;
    case "moved":
      return typeof change.before === "number"
        ? `${change.path}: moved from position ${change.before} to ${String(change.after)}`
        : `${change.path}: order ${formatValue(change.before)} → ${formatValue(change.after)}`;
  }
}
