import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveRunRef } from "./ref";
import { createRun } from "./writer";
import { fakeSource, tempRunsDir } from "./test-helpers";

describe("resolveRunRef", () => {
  it("resolves ids, unique prefixes/suffixes and run folder paths; refuses escapes", async () => {
    const runsDir = tempRunsDir();
    const a = await createRun({ runsDir, loaded: fakeSource(), id: "20260101-000000-demo-ab12" });
    const b = await createRun({ runsDir, loaded: fakeSource(), id: "20260102-000000-demo-cd34" });
    a.finish("finished");
    b.finish("finished");
    mkdirSync(join(runsDir, "not-a-run"));
    expect(resolveRunRef(a.id, runsDir)).toBe(a.dir);
    expect(resolveRunRef("cd34", runsDir)).toBe(b.dir);
    expect(resolveRunRef("20260101", runsDir)).toBe(a.dir);
    expect(resolveRunRef(b.dir, runsDir)).toBe(b.dir);
    expect(() => resolveRunRef("2026", runsDir)).toThrow(/matches 2 runs/);
    expect(() => resolveRunRef("zzzz", runsDir)).toThrow(/no run "zzzz"/);
    expect(() => resolveRunRef("not-a-run", runsDir)).toThrow(/no run/);
    expect(() => resolveRunRef("..", runsDir)).toThrow(/'\.\.'/);
    expect(() => resolveRunRef(`${runsDir}/../x`, runsDir)).toThrow(/'\.\.' segments/);
    expect(() => resolveRunRef("/etc", runsDir)).toThrow(/not a run folder/);
    expect(() => resolveRunRef(b.dir, runsDir, { allowPaths: false })).toThrow(/not a run id/);
    expect(() => resolveRunRef("a b", runsDir)).toThrow(/not a valid run id/);
  });
});
