/** Reports carry no absolute machine paths: relative to the working directory, or ~ for home. */
import { mkdtempSync, readFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { redactPaths } from "./redact-paths";
import { writeReport } from "./report";
import { loadRunSide } from "./run-side";
import { sampleConfig, writeFakeRun } from "./test-runs";

describe("redactPaths", () => {
  const bases = { cwd: "/home/alice/work/tessera", home: "/home/alice" };
  it("writes paths under cwd relative, under home with ~, and leaves the rest", () => {
    expect(redactPaths("path: /home/alice/work/tessera/data/tiles\n", bases)).toBe("path: data/tiles\n");
    expect(redactPaths("in /home/alice/work/tessera, then", bases)).toBe("in ., then");
    expect(redactPaths('"/home/alice/other/x.yaml"', bases)).toBe('"~/other/x.yaml"');
    expect(redactPaths("/home/alicex/y /srv/data", bases)).toBe("/home/alicex/y /srv/data");
  });
});

describe("tessera report", () => {
  it("embeds no absolute path of this machine in report.md or report.html (data.path was absolute)", async () => {
    const runsDir = mkdtempSync(join(tmpdir(), "tessera-report-paths-"));
    const config = sampleConfig((c) => {
      c.data = {
        ...c.data,
        source: "folder",
        path: join(process.cwd(), "data", "tiles"),
        label: { from: "folder" },
      } as unknown as typeof c.data;
    });
    const run = await loadRunSide(await writeFakeRun({ runsDir, id: "paths", classes: ["A", "B"], config }));
    for (const format of ["md", "html"] as const) {
      const text = readFileSync(writeReport({ run, outDir: join(runsDir, `out-${format}`), format }).file, "utf8");
      expect(text, format).toMatch(/path: data\/tiles/);
      expect(text, format).not.toContain(process.cwd());
      expect(text, format).not.toContain(`${homedir()}/`);
    }
  });
});
