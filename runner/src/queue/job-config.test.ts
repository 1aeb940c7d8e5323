import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunJob } from "@tessera/shared/cluster";
import { workerConfig } from "./job-config";

const dir = mkdtempSync(join(tmpdir(), "tessera-job-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function job(configText: string, sets: string[] = []): RunJob {
  return {
    format: 1,
    runId: "r1",
    name: "r1",
    configFile: "x.yaml",
    configText,
    sets,
    configHash: "0".repeat(64),
    gitCommit: null,
    priority: 0,
    submittedAt: "2026-12-03T12:00:00Z",
  };
}

describe("workerConfig with --data-root given (confine)", () => {
  const root = join(dir, "data-root");
  const opts = { dataRoot: root, dir: join(dir, "jobs"), confine: true };

  it("refuses a data.path that climbs out of the data root, naming the field and the root", async () => {
    const result = await workerConfig(job("name: x\ndata:\n  path: ../../etc\n"), opts);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems.join("\n")).toMatch(/^data\.path: .*etc is outside this worker's --data-root .*data-root/);
  });

  it("refuses an absolute data.path set by a --set flag in the job", async () => {
    const result = await workerConfig(job("name: x\ndata:\n  path: tiles\n", ["data.path=/etc"]), opts);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toEqual([expect.stringMatching(/^data\.path: \/etc is outside/)]);
  });

  it("lets a path below the root through to the usual checks (which then judge the config itself)", async () => {
    const result = await workerConfig(job("name: x\ndata:\n  path: tiles/kimia\n"), opts);
    if (!result.ok) expect(result.problems.join("\n")).not.toMatch(/outside this worker's --data-root/);
  });
});
