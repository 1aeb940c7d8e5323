// The ls/show/rm commands through the real CLI entry (`main`), on a temp runs dir.
import { existsSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RUN_FILES } from "@tessera/shared";
import { createRun } from "./writer";
import { cli, epochBody, fakeSource, stageStartedBody, tempRunsDir } from "./test-helpers";

afterEach(() => vi.restoreAllMocks());

async function sampleRun(runsDir: string) {
  const run = await createRun({ runsDir, loaded: fakeSource("demo"), id: "20260101-000000-demo-ab12" });
  run.append(stageStartedBody("head"));
  run.append(epochBody("head", 0, 0.5));
  run.append(epochBody("head", 1, 0.75));
  run.append({ type: "stage_finished", stage: "head", best: { epoch: 1, value: 0.75 } });
  run.finish("finished");
  return run;
}

describe("tessera ls/show/rm", () => {
  it("ls --json prints one JSON document with the runs; ls prints a table on stderr", async () => {
    const runsDir = tempRunsDir();
    const run = await sampleRun(runsDir);
    const json = await cli(["ls", "--runs-dir", runsDir, "--json"]);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.runs).toHaveLength(1);
    expect(doc.runs[0]).toMatchObject({ id: run.id, status: "finished", stage: "head", epoch: 1 });
    expect(doc.runs[0].best_valid_accuracy).toBe(0.75);
    const human = await cli(["ls", "--runs-dir", runsDir]);
    expect(human.stdout).toBe("");
    expect(human.stderr).toMatch(/ID\s+STATUS\s+STAGE/);
    expect(human.stderr).toMatch(/20260101-000000-demo-ab12\s+finished\s+head\s+1\s+75\.00%/);
  });

  it("ls lists a run whose meta.json is broken as damaged, with the reason (it vanished from the list)", async () => {
    const runsDir = tempRunsDir();
    const run = await sampleRun(runsDir);
    writeFileSync(join(run.dir, RUN_FILES.meta), '{"id": "2026');
    const human = await cli(["ls", "--runs-dir", runsDir]);
    expect(human.code).toBe(0);
    expect(human.stderr).toMatch(/20260101-000000-demo-ab12\s+damaged\s+head\s+1\s+75\.00%/);
    expect(human.stderr).toMatch(/damaged: 20260101-000000-demo-ab12: .*meta\.json: not valid JSON/);
    const doc = JSON.parse((await cli(["ls", "--runs-dir", runsDir, "--json"])).stdout);
    expect(doc.runs[0]).toMatchObject({ id: run.id, name: "demo", status: "damaged" });
    expect(doc.runs[0].damaged).toMatch(/not valid JSON/);
  });

  it("show prints stages and epochs; --json gives the description; bad refs exit 1 with a message", async () => {
    const runsDir = tempRunsDir();
    const run = await sampleRun(runsDir);
    const human = await cli(["show", "ab12", "--runs-dir", runsDir]);
    expect(human.code).toBe(0);
    expect(human.stderr).toContain(run.id);
    expect(human.stderr).toMatch(/head\s+1\s+1\.0000\s+1\.0000\s+75\.00%/);
    const json = await cli(["show", run.dir, "--json"]);
    const doc = JSON.parse(json.stdout);
    expect(doc.stages[0]).toMatchObject({ name: "head", best: { epoch: 1, value: 0.75 } });
    expect(doc.epochs.map((e: { valid_accuracy: number }) => e.valid_accuracy)).toEqual([0.5, 0.75]);
    const missing = await cli(["show", "nope", "--runs-dir", runsDir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no run "nope"/);
    const escape = await cli(["show", "../etc", "--runs-dir", runsDir]);
    expect(escape.code).toBe(1);
    expect(escape.stderr).toMatch(/'\.\.' segments/);
  });

  it("rm deletes a finished run and refuses one a live process writes", async () => {
    const runsDir = tempRunsDir();
    const run = await sampleRun(runsDir);
    writeFileSync(join(run.dir, RUN_FILES.lock), JSON.stringify({ pid: process.pid, host: hostname() }));
    const refused = await cli(["rm", run.id, "--runs-dir", runsDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/being written by pid/);
    expect(existsSync(run.dir)).toBe(true);
    writeFileSync(join(run.dir, RUN_FILES.lock), "");
    const ok = await cli(["rm", run.id, "--runs-dir", runsDir]);
    expect(ok.code).toBe(0);
    expect(existsSync(run.dir)).toBe(false);
  });

  it("rm refuses a run locked from another host, and ls shows it running there", async () => {
    const runsDir = tempRunsDir();
    const run = await sampleRun(runsDir);
    // A pid that does not exist here: only the host tells that a writer may still be alive.
    const lock = { pid: 2 ** 22 + 17, host: `${hostname()}-elsewhere`, since: "2026-01-01T00:00:00Z" };
    writeFileSync(join(run.dir, RUN_FILES.lock), JSON.stringify(lock));
    const refused = await cli(["rm", run.id, "--runs-dir", runsDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`on host ${lock.host}`);
    expect(existsSync(run.dir)).toBe(true);
    const ls = await cli(["ls", "--runs-dir", runsDir, "--json"]);
    expect(JSON.parse(ls.stdout).runs[0]).toMatchObject({ stale: false, locked_by: { pid: lock.pid, host: lock.host } });
    const human = await cli(["ls", "--runs-dir", runsDir]);
    expect(human.stderr).toContain(`(locked on ${lock.host})`);
  });
});
