import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { workerForToken } from "@tessera/shared/tokens";
import { addToken, listTokens, revokeToken } from "./tokens";

const dir = mkdtempSync(join(tmpdir(), "tessera-tokens-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("worker tokens", () => {
  const file = join(dir, "sub", ".tessera-tokens.json");

  it("stores only a hash, readable by the owner alone, and the server finds the worker by its token", () => {
    const a = addToken(file, "gpu-1");
    const b = addToken(file, "gpu-2");
    expect(readFileSync(file, "utf8")).not.toContain(a);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(workerForToken(file, a)).toBe("gpu-1");
    expect(workerForToken(file, b)).toBe("gpu-2");
    expect(workerForToken(file, `${a}x`)).toBeNull();
    expect(listTokens(file).map((t) => t.name)).toEqual(["gpu-1", "gpu-2"]);
  });

  it("refuses a second token for one name and a name that is not one", () => {
    expect(() => addToken(file, "gpu-1")).toThrow(/already has a token for gpu-1/);
    expect(() => addToken(file, "../x")).toThrow(/not a worker name/);
  });

  it("revokes: the next lookup no longer finds the token", () => {
    const c = addToken(file, "gpu-3");
    expect(workerForToken(file, c)).toBe("gpu-3");
    expect(revokeToken(file, "gpu-3")).toBe(true);
    expect(workerForToken(file, c)).toBeNull();
    expect(revokeToken(file, "gpu-3")).toBe(false);
  });

  it("admits nobody from a damaged file rather than failing open", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{not json");
    expect(workerForToken(bad, "anything")).toBeNull();
  });
});
