/**
 * Reads one YAML file into a plain value, keeping its `Document` and `LineCounter` so every later
 * problem can name its line and column. Anything odd about the file itself (missing, too big,
 * binary, empty, YAML syntax, tabs, duplicate keys, several documents) becomes a `Problem`.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { relative } from "node:path";
import {
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type YAMLError,
} from "yaml";
import type { PathSegment } from "@tessera/shared";
import type { Problem } from "./problems";

/** An experiment file is a page of YAML; refuse anything far larger before parsing it. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Deeper values are refused before any recursive check sees them. */
const MAX_DEPTH = 32;

/** A parsed YAML file with its positions. */
export interface SourceFile {
  /** Absolute path. */
  path: string;
  /** How problems name it: relative to the working directory when inside it. */
  display: string;
  doc: Document;
  lines: LineCounter;
  value: unknown;
}

/** How problems name a file: relative to the working directory when it is inside it. */
export function displayName(absolute: string): string {
  const rel = relative(process.cwd(), absolute);
  return rel && !rel.startsWith("..") ? rel : absolute;
}

/** Reads and parses `absolute`; returns the file or the problems that stop it being read. */
export async function readSource(absolute: string): Promise<{ file?: SourceFile; problems: Problem[] }> {
  const display = displayName(absolute);
  const fail = (message: string, line?: number, col?: number): { problems: Problem[] } => ({
    problems: [{ file: display, line, col, path: "(root)", message, source: "file", severity: "error" }],
  });
  let bytes: Buffer;
  try {
    const read = await readRegularFile(absolute);
    if (typeof read === "string") return fail(read);
    bytes = read;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === "ENOENT" ? "file not found" : `cannot read the file (${code ?? String(error)})`);
  }
  if (bytes.includes(0)) return fail("not a text file (it contains NUL bytes); expected YAML");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return fail("not UTF-8 text; expected a YAML file");
  }
  const lines = new LineCounter();
  // `merge: true` lets a stage reuse another's keys with YAML merge keys (`<<: *base`).
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    return {
      problems: syntaxErrors(doc.errors, lines).map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return {
          file: display,
          line,
          col,
          path: "(root)",
          message: yamlMessage(e.code, e.message),
          source: "yaml",
          severity: "error" as const,
        };
      }),
    };
  }
  if (doc.contents === null) return fail("the file is empty; expected an experiment (name, data, model, train)");
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // The yaml package refuses alias bombs (ReferenceError); very deep nesting overflows the stack.
    const why = error instanceof RangeError ? "it is nested too deeply" : "its aliases expand too much";
    if (error instanceof RangeError || error instanceof ReferenceError) return fail(`cannot read this YAML: ${why}`);
    throw error;
  }
  if (depthOf(value) > MAX_DEPTH)
    return fail(`nested more than ${MAX_DEPTH} levels deep; an experiment is far flatter`);
  if (!isMap(doc.contents)) {
    const { line, col } = lines.linePos(doc.contents.range?.[0] ?? 0);
    return fail(
      `the document must be a mapping of keys (name, data, model, train), received ${kind(value)}`,
      line,
      col,
    );
  }
  return { file: { path: absolute, display, doc, lines, value }, problems: [] };
}

/**
 * The bytes of `absolute` if it is a regular file of at most MAX_CONFIG_BYTES, else why not.
 * Opened non-blocking and checked on the open handle (not a separate `stat` of the path, which
 * the file could be swapped under): a FIFO would block `open` and `read` forever, and `/dev/zero`
 * reports size 0 and then never ends, so anything but a regular file is refused before reading.
 */
async function readRegularFile(absolute: string): Promise<Buffer | string> {
  const handle = await open(absolute, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (info.isDirectory()) return "is a folder, expected a YAML file";
    if (!info.isFile()) return "is not a regular file (a device, FIFO or socket), expected a YAML file";
    if (info.size > MAX_CONFIG_BYTES) {
      return `file is too large (${(info.size / 1048576).toFixed(1)} MB); an experiment file is at most 1 MB`;
    }
    // Read at most one byte past the cap, in case the file grew since the stat.
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_CONFIG_BYTES) return "file is too large; an experiment file is at most 1 MB";
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/**
 * One broken bracket makes the parser report every later line; keep the first error of that kind
 * (plus every tab and duplicate key, which are independent, without the noise they cause on their line).
 */
function syntaxErrors(errors: readonly YAMLError[], lines: LineCounter): YAMLError[] {
  const independent = new Set(["TAB_AS_INDENT", "DUPLICATE_KEY"]);
  const line = (e: YAMLError) => lines.linePos(e.pos[0]).line;
  const flagged = new Set(errors.filter((e) => independent.has(e.code)).map(line));
  const kept: YAMLError[] = [];
  let cascade = false;
  for (const e of errors) {
    if (!independent.has(e.code)) {
      if (cascade || flagged.has(line(e))) continue;
      cascade = true;
    }
    kept.push(e);
  }
  return kept;
}

function yamlMessage(code: string, message: string): string {
  switch (code) {
    case "TAB_AS_INDENT":
      return "YAML syntax: tabs are not allowed for indentation; indent with spaces";
    case "DUPLICATE_KEY":
      return "YAML syntax: duplicate key; each key may appear once in a mapping";
    case "MULTIPLE_DOCS":
      return "YAML syntax: more than one document (---); an experiment file holds one";
    default:
      if (/call stack/i.test(message)) return "cannot read this YAML: it is nested too deeply";
      return `YAML syntax: ${message.split("\n")[0]}`;
  }
}

/** Nesting depth of a plain value, without recursion. */
function depthOf(root: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    max = Math.max(max, depth);
    if (max > MAX_DEPTH) return max;
    if (value !== null && typeof value === "object") {
      for (const child of Object.values(value)) stack.push([child, depth + 1]);
    }
  }
  return max;
}

function kind(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  // Not quoted: a file that is one scalar is likely not YAML at all (`/etc/passwd`), and its
  // content is not ours to print (CI comments and the dashboard show these messages).
  if (typeof value === "string") return `plain text (${value.length} characters)`;
  return `a ${typeof value}`;
}

/**
 * The deepest node along `path` in `file`, and how many segments it matched. `at: "key"` asks for
 * the key node of the last segment (for unknown keys), not its value.
 */
export function findNode(
  file: SourceFile,
  path: readonly PathSegment[],
  at: "key" | "value" = "value",
): { node: Node | null; depth: number } {
  let node: unknown = file.doc.contents;
  let best: Node | null = isNode(node) ? node : null;
  let depth = 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as PathSegment;
    let next: unknown = undefined;
    let keyNode: unknown = undefined;
    if (isMap(node) && typeof segment === "string") {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
      next = pair?.value ?? (pair ? pair.key : undefined);
      keyNode = pair?.key;
    } else if (isSeq(node) && typeof segment === "number") {
      next = node.items[segment];
    } else if (isSeq(node) && typeof segment === "object") {
      next = node.items.find((item) => isMap(item) && item.get("name") === segment.name);
    }
    if (!isNode(next)) break;
    depth = i + 1;
    best = at === "key" && i === path.length - 1 && isNode(keyNode) ? keyNode : next;
    node = next;
  }
  return { node: best, depth };
}

/** 1-based line and column of a node's start. */
export function nodePos(file: SourceFile, node: Node | null): { line: number; col: number } {
  return file.lines.linePos(node?.range?.[0] ?? 0);
}
