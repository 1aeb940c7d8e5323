/** runs.list (filter, sort, paginate), runs.get (top losses from the runner's index) and runs.compare over fixture run folders. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../../dashboard/src/server/routers/_app";
import { FixtureRun, tinyPng } from "../e2e/fixture-run";
import { populate } from "../e2e/populate";

let root: string;
let ids: string[];
const caller = appRouter.createCaller({});

beforeAll(async () => {
  root = join(mkdtempSync(join(tmpdir(), "tessera-runs-")), "runs");
  process.env.TESSERA_RUNS_DIR = root;
  ids = await populate(root, 12);
  const failed = new FixtureRun(root, "20260101-200000-broken-ffff", { name: "broken", config_hash: "deadbeef" });
  failed.append({ type: "run_failed", error: "out of memory", stage: null, epoch: null });
  new FixtureRun(root, "20260101-210000-alive-0001", { name: "alive" }); // lock holds this live pid
  const dead = new FixtureRun(root, "20260101-210000-dead-0002", { name: "dead" });
  writeFileSync(join(dead.dir, ".lock"), JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), since: "x" }));
  const top = join(root, ids[0]!, "top_losses");
  mkdirSync(top);
  writeFileSync(join(top, "01.png"), tinyPng());
  writeFileSync(join(top, "02.png"), tinyPng());
  writeFileSync(
    join(top, "top_losses.json"),
    JSON.stringify([
      { key: "k1", file: null, actual: "A", predicted: "B", loss: 3.5, probability: 0.9, image: "top_losses/01.png" },
      { key: "k2", file: null, actual: "C", predicted: "A", loss: 2.5, probability: 0.8, image: "top_losses/02.png" },
      {
        key: "k3",
        file: null,
        actual: "C",
        predicted: "A",
        loss: 2.0,
        probability: 0.7,
        image: "top_losses/missing.png",
      },
    ]),
  );
});
afterAll(() => rmSync(join(root, ".."), { recursive: true, force: true }));

describe("runs.list", () => {
  it("pages newest first and counts everything", async () => {
    const page1 = await caller.runs.list({ limit: 5 });
    expect(page1.total).toBe(15);
    expect(page1.rows).toHaveLength(5);
    const page3 = await caller.runs.list({ limit: 5, offset: 10 });
    expect(page3.rows).toHaveLength(5);
    const all = [...page1.rows, ...(await caller.runs.list({ limit: 5, offset: 5 })).rows, ...page3.rows];
    expect(new Set(all.map((r) => r.id)).size).toBe(15);
    expect(all.map((r) => r.started)).toEqual([...all.map((r) => r.started)].sort().reverse());
  });

  it("filters by status (from the events), name and config hash", async () => {
    const failed = await caller.runs.list({ status: ["failed"] });
    expect(failed.rows.map((r) => r.id)).toEqual(["20260101-200000-broken-ffff"]);
    const named = await caller.runs.list({ q: "SYNTHETIC-3" });
    expect(named.rows.every((r) => r.name === "synthetic-3")).toBe(true);
    expect(named.total).toBe(2);
    const hashed = await caller.runs.list({ configHash: "hash0001" });
    expect(hashed.total).toBe(Math.ceil((12 - 1) / 5));
  });

  it("marks a running run whose writer process is gone as stale, not one whose writer lives", async () => {
    const rows = (await caller.runs.list({ q: "210000" })).rows;
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(byName.alive).toMatchObject({ status: "running", stale: false });
    expect(byName.dead).toMatchObject({ status: "running", stale: true });
    expect((await caller.runs.list({ status: ["finished"] })).rows.every((r) => !r.stale)).toBe(true);
  });

  it("sorts by best accuracy both ways", async () => {
    const asc = (await caller.runs.list({ sort: "bestAccuracy", dir: "asc", status: ["finished"] })).rows.map(
      (r) => r.bestAccuracy!,
    );
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    const desc = (await caller.runs.list({ sort: "bestAccuracy", dir: "desc", status: ["finished"] })).rows.map(
      (r) => r.bestAccuracy!,
    );
    expect(desc).toEqual([...asc].reverse());
  });
});

describe("runs.get and runs.compare", () => {
  it("labels top losses from top_losses.json and skips entries without a file", async () => {
    const run = await caller.runs.get({ id: ids[0]! });
    expect(run.topLosses.map((t) => [t.file, t.actual, t.predicted])).toEqual([
      ["01.png", "A", "B"],
      ["02.png", "C", "A"],
    ]);
    expect(run.plan).toEqual([
      { name: "head", epochs: 2 },
      { name: "fine-tune", epochs: 3 },
    ]);
  });

  it("answers NOT_FOUND for a run that is not there", async () => {
    await expect(caller.runs.get({ id: "20990101-000000-nope-0000" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("diffs configs by stage name and gives metric curves", async () => {
    const { runs } = await caller.runs.compare({ ids: [ids[0]!, ids[1]!] });
    expect(runs[1]!.diff.map((d) => d.path)).toEqual([
      "name",
      "seed",
      "train.stages[head].lr.max",
      "train.stages[fine-tune].lr.max",
    ]);
    expect(runs[0]!.epochs).toHaveLength(5);
    expect(runs[0]!.confusion).toHaveLength(5);
  });
});
