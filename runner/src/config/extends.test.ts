import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkConfig, type Problem } from ".";

const BODY = [
  "data: { source: synthetic }",
  "model: { backbone: resnet18, width: 0.25 }",
  "train: { stages: [{ trainable: all, epochs: 1, size: 32, lr: 1e-3 }] }",
  "",
].join("\n");

/** A temp folder holding `main.yaml` that extends `base` (line 2, value at column 10). */
function configExtending(base: string, dir = mkdtempSync(join(tmpdir(), "tessera-ext-"))): string {
  writeFileSync(join(dir, "main.yaml"), `name: x\nextends: ${base}\n`);
  return dir;
}

async function problemsOf(file: string): Promise<Problem[]> {
  const result = await checkConfig(file);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors;
}

/** Fails the test instead of hanging it when a read blocks (FIFO) or never ends (/dev/zero). */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, fail) => setTimeout(() => fail(new Error(`no answer within ${ms} ms`)), ms).unref()),
  ]);
}

describe("extends refuses files it must not read", () => {
  const saved = process.env.TESSERA_CONFIG_ROOTS;
  afterEach(() => {
    if (saved === undefined) delete process.env.TESSERA_CONFIG_ROOTS;
    else process.env.TESSERA_CONFIG_ROOTS = saved;
  });

  it.each(["/etc/passwd", "/dev/zero", "../../../../../etc/passwd", "base.txt"])(
    "extends: %s is refused at the extends line, without quoting the file",
    async (base) => {
      const dir = configExtending(base);
      writeFileSync(join(dir, "base.txt"), "secret: 1\n");
      const problems = await within(5_000, problemsOf(join(dir, "main.yaml")));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ line: 2, col: 10, path: "extends" });
      expect(problems[0]!.message).toBe(`must name a .yaml or .yml file, received ${JSON.stringify(base)}`);
      expect(JSON.stringify(problems)).not.toMatch(/root:|secret/);
    },
  );

  it("refuses a FIFO and a device behind a .yaml name before reading, naming the extends line", async () => {
    const dir = configExtending("pipe.yaml");
    execFileSync("mkfifo", [join(dir, "pipe.yaml")]);
    const [fifo] = await within(5_000, problemsOf(join(dir, "main.yaml")));
    expect(fifo).toMatchObject({ line: 2, col: 10, path: "extends" });
    expect(fifo!.message).toMatch(/^base file pipe\.yaml: is not a regular file/);
    // The top-level file gets the same check.
    const [top] = await within(5_000, problemsOf(join(dir, "pipe.yaml")));
    expect(top!.message).toMatch(/is not a regular file/);
  });

  it("refuses a YAML file outside the config's folder, also through a symlink, unless its folder is allowed", async () => {
    const outside = mkdtempSync(join(tmpdir(), "tessera-outside-"));
    writeFileSync(join(outside, "base.yaml"), BODY);
    const dir = mkdtempSync(join(tmpdir(), "tessera-ext-"));
    mkdirSync(join(dir, "sub"));
    symlinkSync(join(outside, "base.yaml"), join(dir, "link.yaml"));
    symlinkSync("/dev/zero", join(dir, "zero.yaml"));
    for (const base of [join(outside, "base.yaml"), "link.yaml", "zero.yaml"]) {
      configExtending(base, dir);
      const problems = await within(5_000, problemsOf(join(dir, "main.yaml")));
      expect(problems[0]).toMatchObject({ line: 2, col: 10, path: "extends" });
      expect(problems[0]!.message).toMatch(/lies outside this config's folder .*TESSERA_CONFIG_ROOTS/);
    }
    process.env.TESSERA_CONFIG_ROOTS = `/nonexistent:${outside}`;
    configExtending("link.yaml", dir);
    expect((await checkConfig(join(dir, "main.yaml"))).ok).toBe(true);
  });

  it("still follows relative bases inside the folder tree, up and down", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-ext-"));
    mkdirSync(join(dir, "bases"));
    writeFileSync(join(dir, "bases", "a.yaml"), "extends: ../b.yml\n");
    writeFileSync(join(dir, "b.yml"), BODY);
    configExtending("bases/a.yaml", dir);
    const result = await checkConfig(join(dir, "main.yaml"));
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it("names the extends line for a binary base", async () => {
    const dir = configExtending("bin.yaml");
    writeFileSync(join(dir, "bin.yaml"), Buffer.from([0x6e, 0x61, 0, 1, 2]));
    const problems = await problemsOf(join(dir, "main.yaml"));
    expect(problems.map((p) => [p.line, p.col, p.message])).toEqual([
      [2, 10, "base file bin.yaml: not a text file (it contains NUL bytes); expected YAML"],
    ]);
  });
});
