/**
 * A problem in a config and how it prints: `configs/x.yaml:14:9  train.stages[1].lr.min: must be
 * a number, received "1e-6x"` — file, line, column, path, problem, received value.
 */
import { formatPath, type PathSegment } from "@tessera/shared";

/** One thing wrong with a config, located in the file (or the `--set` flag) that said it. */
export interface Problem {
  /** The file as the user named it (relative to the working directory), or `--set <flag>`. */
  file: string;
  /** 1-based; absent when the problem has no place in a file (a `--set` flag, an unreadable file). */
  line?: number;
  col?: number;
  /** Config path, `train.stages[1].lr.min`; `(root)` for the whole document. */
  path: string;
  /** What is wrong, with the expected and the received value. */
  message: string;
  /** Which check found it: `yaml`, `schema`, a rule name, `extends`, `set`, `file`. */
  source: string;
  /** Warnings do not make a config invalid. */
  severity: "error" | "warning";
}

/** Formats a problem as one line: `file:line:col  path: message`. */
export function formatProblem(p: Problem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.col ?? 1}` : p.file;
  const tag = p.severity === "warning" ? "warning: " : "";
  return `${where}  ${tag}${p.path}: ${p.message}`;
}

/** Sorts problems by file, line and column so they read top to bottom. */
export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.col ?? 0) - (b.col ?? 0) ||
      a.path.localeCompare(b.path),
  );
}

/** Describes a received value for a message: strings quoted, long values cut. */
export function received(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null (an empty value)";
  if (Array.isArray(value)) return `a list (${JSON.stringify(value).slice(0, 60)})`;
  if (typeof value === "object") return `a mapping (${cut(JSON.stringify(value))})`;
  if (typeof value === "number") return fmtNum(value);
  return cut(JSON.stringify(value));
}

/** A number as a person writes it: the shorter of plain and exponent form (`1e-5`, `0.25`, `1e5`). */
export function fmtNum(n: number, digits = 6): string {
  if (n === 0 || !Number.isFinite(n)) return String(n);
  const short = Number(n.toPrecision(digits));
  const plain = String(short);
  const exp = short.toExponential().replace("e+", "e");
  return exp.length < plain.length ? exp : plain;
}

function cut(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A place problems can be pinned to: a path into the merged config. */
export type Locator = (path: readonly PathSegment[], at?: "key" | "value") => Pick<Problem, "file" | "line" | "col">;

/** Builds a problem at `path`, located by `locate`. */
export function problemAt(
  locate: Locator,
  path: readonly PathSegment[],
  message: string,
  source: string,
  opts: { at?: "key" | "value"; severity?: "error" | "warning" } = {},
): Problem {
  return {
    ...locate(path, opts.at),
    path: formatPath(path),
    message,
    source,
    severity: opts.severity ?? "error",
  };
}
