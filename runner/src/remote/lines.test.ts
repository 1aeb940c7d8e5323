import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readLines } from "./lines";

const dir = mkdtempSync(join(tmpdir(), "tessera-lines-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const line = (seq: number, pad = 0) =>
  JSON.stringify({ format: 1, seq, time: "t", type: "batch", attempt: 1, pad: "x".repeat(pad) });

describe("readLines", () => {
  it("returns whole lines with their seq and end offset, leaving an unfinished last line", () => {
    const file = join(dir, "a.jsonl");
    writeFileSync(file, `${line(0)}\n${line(1)}\n{"format":1,"se`);
    const { lines, bad } = readLines(file, 0, 100);
    expect(lines.map((l) => l.seq)).toEqual([0, 1]);
    expect(lines[1]!.end).toBe(Buffer.byteLength(`${line(0)}\n${line(1)}\n`));
    expect(bad).toBeNull();
    appendFileSync(file, `q":2}\n`);
    expect(readLines(file, lines[1]!.end, 100).lines.map((l) => l.seq)).toEqual([2]);
  });

  it("reads a line longer than its chunk, honours maxLines, and skips blank lines", () => {
    const file = join(dir, "b.jsonl");
    writeFileSync(file, `${line(0, 200_000)}\n\n${line(1)}\n${line(2)}\n`);
    const all = readLines(file, 0, 2);
    expect(all.lines.map((l) => l.seq)).toEqual([0, 1]);
    expect(all.lines[0]!.line).toBe(line(0, 200_000));
    expect(readLines(file, all.lines[1]!.end, 10).lines.map((l) => l.seq)).toEqual([2]);
  });

  it("stops at a line without a readable seq (sending past it would leave a hole)", () => {
    const file = join(dir, "c.jsonl");
    writeFileSync(file, `${line(0)}\ngarbage\n${line(2)}\n`);
    const r = readLines(file, 0, 10);
    expect(r.lines.map((l) => l.seq)).toEqual([0]);
    expect(r.bad).toBe(Buffer.byteLength(`${line(0)}\n`));
  });
});
