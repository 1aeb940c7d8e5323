import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, test, vi } from "vitest";
import { UsageError } from "../../errors";
import { weightsFetchCommand, weightsLsCommand } from "./weights";

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

test("weights fetch refuses an unknown backbone with the known ones (exit 2)", async () => {
  const error = await weightsFetchCommand("resnet19").catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UsageError);
  expect((error as UsageError).code).toBe(2);
  expect((error as Error).message).toMatch(/unknown backbone "resnet19", expected one of resnet18, .*resnet152/);
});

test("weights ls --json prints one JSON document on stdout from the cache dir", async () => {
  const cache = await mkdtemp(path.join(tmpdir(), "tessera-wls-"));
  vi.stubEnv("TESSERA_CACHE_DIR", cache);
  const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  await weightsLsCommand({ json: true });
  const doc = JSON.parse(String(out.mock.calls[0]?.[0])) as {
    weights: { name: string; cached: boolean; dir: string }[];
  };
  expect(doc.weights).toHaveLength(5);
  expect(doc.weights.every((w) => !w.cached && w.dir.startsWith(cache))).toBe(true);
  await rm(cache, { recursive: true, force: true });
});
