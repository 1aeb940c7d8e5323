import { mkdtempSync, writeFileSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitError } from "./errors";
import { ensureOutDir } from "./out-dir";

describe("ensureOutDir", () => {
  const root = mkdtempSync(join(tmpdir(), "tessera-outdir-"));

  it("creates a missing folder with its parents and accepts an existing one", () => {
    const dir = join(root, "a", "b");
    ensureOutDir(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(() => ensureOutDir(dir)).not.toThrow();
  });

  it("refuses a path that is a file, naming the flag and the path", () => {
    const file = join(root, "file.txt");
    writeFileSync(file, "x");
    expect(() => ensureOutDir(file)).toThrow(ExitError);
    expect(() => ensureOutDir(file)).toThrow(`--out ${file}: is a file, not a folder`);
  });

  it("refuses a folder under a file", () => {
    const file = join(root, "f2.txt");
    writeFileSync(file, "x");
    const under = join(file, "sub");
    expect(() => ensureOutDir(under, "--dir")).toThrow(
      /--dir .*sub: cannot create the folder \(a parent of it is a file/,
    );
    expect(existsSync(under)).toBe(false);
  });
});
