/**
 * The dashboard serves nothing outside the run store and the configs folder: run ids and
 * thumbnail paths with `../`, absolute paths or links leading out are refused.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleTrpc, serveRunFile } from "../../dashboard/src/server/http";
import {
  PathRefusedError,
  resolveConfigFile,
  resolveRunDir,
  resolveRunFile,
} from "../../dashboard/src/server/store/paths";
import { FixtureRun, tinyPng } from "../e2e/fixture-run";

let base: string;
let root: string;
const id = "20260101-000000-paths-0001";
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "tessera-paths-"));
  root = join(base, "runs");
  mkdirSync(root);
  process.env.TESSERA_RUNS_DIR = root;
  writeFileSync(join(base, "secret.png"), tinyPng());
  const run = new FixtureRun(root, id);
  mkdirSync(join(run.dir, "top_losses"));
  writeFileSync(join(run.dir, "top_losses", "0.png"), tinyPng());
  symlinkSync(join(base, "secret.png"), join(run.dir, "top_losses", "link.png"));
  symlinkSync(base, join(root, "20260101-000000-escape-0002"));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("run ids", () => {
  it.each(["..", "../runs", "../../etc/passwd", "/etc", "a/b", "a\\..\\b", ".hidden", ""])("refuses %j", (bad) => {
    expect(() => resolveRunDir(bad, root)).toThrow(PathRefusedError);
  });
  it("refuses a run folder that is a link out of the store", () => {
    expect(() => resolveRunDir("20260101-000000-escape-0002", root)).toThrow(/outside the run store/);
  });
  it("accepts a plain run id", () => {
    expect(resolveRunDir(id, root)).toBe(join(root, id));
  });
  it.each(["../x", "/etc/passwd", "..%2Fx"])("runs.get answers 400 for %j", async (bad) => {
    const input = encodeURIComponent(JSON.stringify({ id: bad }));
    const res = await handleTrpc(new Request(`http://localhost/api/trpc/runs.get?input=${input}`));
    expect(res.status).toBe(400);
  });
});

describe("thumbnail paths", () => {
  it.each([
    ["..", "secret.png"],
    ["/etc/passwd"],
    ["top_losses", "..", "..", "..", "secret.png"],
    ["%2e%2e", "%2e%2e", "secret.png"],
    ["top_losses", "link.png"],
  ])("refuses %j", async (...parts) => {
    const res = await serveRunFile(id, parts);
    expect(res.status).toBe(400);
  });
  it("refuses an absolute path before touching the disk", () => {
    expect(() => resolveRunFile(id, "/etc/passwd", root)).toThrow(PathRefusedError);
    expect(() => resolveRunFile(id, "top_losses/../../x.png", root)).toThrow(PathRefusedError);
  });
  it("refuses a run id escape in the file route", async () => {
    expect((await serveRunFile("..", ["secret.png"])).status).toBe(400);
  });
  it("serves an image inside the run folder", async () => {
    const res = await serveRunFile(id, ["top_losses", "0.png"]);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(
      Buffer.from(await res.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe("PNG");
  });
  it("serves only images", async () => {
    expect((await serveRunFile(id, ["meta.json"])).status).toBe(400);
  });
});

describe("config names", () => {
  it.each(["../x.yaml", "/etc/x.yaml", "a/../../x.yaml", "x.json"])("refuses %j", (bad) => {
    expect(() => resolveConfigFile(bad, base)).toThrow(PathRefusedError);
  });
});
