/** Leftovers of a full disk or a kill: removed from idle run folders, never from a live one. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanIdleRunsTemps } from "./disk-full";

function fakeRun(runsDir: string, id: string, lock: object | null): string {
  const dir = join(runsDir, id);
  mkdirSync(join(dir, "checkpoints", "last"), { recursive: true });
  writeFileSync(join(dir, "meta.json"), "{}");
  if (lock) writeFileSync(join(dir, ".lock"), JSON.stringify(lock));
  for (const t of ["resume.staging-77", ".resume.staging-77.tmp-77", ".last.tmp-77", ".best.old-77"])
    mkdirSync(join(dir, "checkpoints", t));
  writeFileSync(join(dir, ".meta.json.77.tmp"), "{");
  return dir;
}

describe("cleanIdleRunsTemps", () => {
  it("cleans runs no process writes, puts back a swapped-aside best, and leaves live runs alone", () => {
    const runsDir = mkdtempSync(join(tmpdir(), "tessera-temps-"));
    const idle = fakeRun(runsDir, "idle", null);
    const dead = fakeRun(runsDir, "dead", { pid: 2 ** 22 + 12345, host: hostname(), since: "x" });
    const live = fakeRun(runsDir, "live", { pid: process.pid, host: hostname(), since: "x" });
    const remote = fakeRun(runsDir, "remote", { pid: 1, host: "another-machine", since: "x" });
    cleanIdleRunsTemps(runsDir);
    for (const dir of [idle, dead]) {
      expect(readdirSync(join(dir, "checkpoints")).sort()).toEqual(["best", "last"]);
      expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    }
    for (const dir of [live, remote]) {
      expect(readdirSync(join(dir, "checkpoints"))).toHaveLength(5);
      expect(existsSync(join(dir, ".meta.json.77.tmp"))).toBe(true);
    }
  });
});
