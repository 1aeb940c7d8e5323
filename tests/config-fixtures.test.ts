/**
 * The fixture table of the experiment language (Ajv's spec/*.json style): every
 * `tests/fixtures/configs/invalid/<case>.yaml` must fail with exactly the lines of
 * `<case>.expected.txt` (file relative to the fixture folder, line, column, path, message), and
 * every `valid/<case>.yaml` must load and round-trip through its resolved YAML to the same config
 * and hash. A `# set: path=value` header line passes `--set`. `UPDATE_FIXTURES=1` rewrites the
 * expected files (review the diff before committing it).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkConfig, type Problem } from "../runner/src/config";
import { REPO_ROOT } from "./helpers/paths";

const DIR = join(REPO_ROOT, "tests", "fixtures", "configs");
const cases = (sub: string) =>
  readdirSync(join(DIR, sub))
    .filter((f) => f.endsWith(".yaml"))
    .sort();

function setsOf(file: string): string[] {
  const text = readFileSync(file, "latin1");
  return [...text.matchAll(/^# set: (.*)$/gm)].map((m) => m[1]!.trim());
}

function line(p: Problem, base: string): string {
  const file = p.file.startsWith("--set ") ? p.file : relative(base, resolve(p.file));
  const where = p.line !== undefined ? `${file}:${p.line}:${p.col}` : file;
  return `${where}  ${p.severity === "warning" ? "warning: " : ""}${p.path}: ${p.message}`;
}

describe("invalid configs: each fails with its expected problems", () => {
  const base = join(DIR, "invalid");
  const all = cases("invalid");
  it("has at least 40 cases", () => expect(all.length).toBeGreaterThanOrEqual(40));
  for (const name of all) {
    it(name, async () => {
      const file = join(base, name);
      const result = await checkConfig(file, { set: setsOf(file) });
      expect(result.ok).toBe(false);
      const got = result.ok ? [] : [...result.errors, ...result.warnings].map((p) => line(p, base));
      const expectedFile = file.replace(/\.yaml$/, ".expected.txt");
      if (process.env.UPDATE_FIXTURES === "1") writeFileSync(expectedFile, `${got.join("\n")}\n`);
      const expected = readFileSync(expectedFile, "utf8").trimEnd().split("\n");
      expect(got).toEqual(expected);
    });
  }

  it("a 5 MB file is refused before parsing", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "tessera-big-")), "big.yaml");
    writeFileSync(file, `name: big\ndescription: "${"x".repeat(5 * 1024 * 1024)}"\n`);
    const result = await checkConfig(file);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((p) => `${p.path}: ${p.message}`)).toEqual([
      "(root): file is too large (5.0 MB); an experiment file is at most 1 MB",
    ]);
  });

  it("a missing file names itself", async () => {
    const result = await checkConfig(join(base, "no-such-file.yaml"));
    expect(result.ok ? [] : result.errors.map((p) => p.message)).toEqual(["file not found"]);
  });
});

describe("valid configs: load, and round-trip through their resolved YAML", () => {
  const files = [
    ...cases("valid").map((name) => join(DIR, "valid", name)),
    ...readdirSync(join(REPO_ROOT, "configs"))
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => join(REPO_ROOT, "configs", f)),
  ];
  for (const file of files) {
    const name = relative(REPO_ROOT, file);
    it(name, async () => {
      const first = await checkConfig(file, { set: setsOf(file) });
      if (!first.ok) expect.fail(first.errors.map((p) => line(p, DIR)).join("\n"));
      const again = join(mkdtempSync(join(tmpdir(), "tessera-rt-")), "resolved.yaml");
      writeFileSync(again, first.loaded.resolvedYaml);
      const second = await checkConfig(again);
      if (!second.ok) expect.fail(second.errors.map((p) => line(p, DIR)).join("\n"));
      expect(second.loaded.config).toEqual(first.loaded.config);
      expect(second.loaded.configHash).toBe(first.loaded.configHash);
      expect(second.loaded.resolvedYaml.split("\n").slice(1)).toEqual(first.loaded.resolvedYaml.split("\n").slice(1));
    });
  }
});
