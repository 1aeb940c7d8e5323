/**
 * The Python snippet in docs/export-and-serve.md, extracted from the file as written, labels a
 * Kimia tile like `tessera predict` when run on an exported (not baked) ONNX model. Runs only where
 * `python3 -c "import onnxruntime, numpy, PIL"` works (not installable on the dev machine);
 * otherwise it skips with that reason.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../runner/src/cli/main";
import { openRunModel, predictFiles } from "../runner/src/inference/predict";
import { REPO_ROOT } from "./helpers/paths";
import { kimiaTiles, trainKimiaRun } from "./helpers/kimia-run";

const probe = spawnSync("python3", ["-c", "import onnxruntime, numpy, PIL"], { encoding: "utf8" });
const noPython =
  probe.status === 0
    ? null
    : `python3 cannot import onnxruntime, numpy and PIL (${(probe.stderr || probe.error?.message || "").trim().split("\n").at(-1)})`;
const work = mkdtempSync(join(tmpdir(), "tessera-docs-py-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("docs/export-and-serve.md Python snippet", () => {
  it("the snippet is in the doc", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs", "export-and-serve.md"), "utf8");
    expect(/```python\n([\s\S]*?)```/.exec(doc)?.[1]).toContain("ort.InferenceSession");
  });

  it("labels a tile as tessera predict does", async (ctx) => {
    if (noPython) return ctx.skip(noPython);
    const snippet = /```python\n([\s\S]*?)```/.exec(
      readFileSync(join(REPO_ROOT, "docs", "export-and-serve.md"), "utf8"),
    )![1]!;
    writeFileSync(join(work, "snippet.py"), snippet);
    const r = await trainKimiaRun(work);
    if ("skip" in r) return ctx.skip(r.skip);
    expect(await main(["export", r.runDir, "--out", join(work, "onnx"), "--format", "onnx"])).toBe(0);
    const tile = kimiaTiles("B", 1, 14)[0]!;
    const m = await openRunModel(r.runDir);
    const [expected] = (await predictFiles(m, [tile])).predictions;
    m.model.dispose();
    const py = spawnSync("python3", [join(work, "snippet.py"), join(work, "onnx", "model.onnx"), tile], {
      encoding: "utf8",
    });
    expect(py.stderr).toBe("");
    expect(JSON.parse(py.stdout).label).toBe(expected!.label);
  });
});
