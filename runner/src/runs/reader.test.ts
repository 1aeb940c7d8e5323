import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RUN_FILES, type RunEvent } from "@tessera/shared";
import { dropSuperseded, parseEvents } from "@tessera/shared/runstore";
import { ExitError } from "../errors";
import { readMeta, readRun } from "@tessera/shared/runstore";
import { createRun } from "./writer";
import { batchBody, epochBody, fakeSource, tempRunsDir } from "./test-helpers";

const line = (o: object) => `${JSON.stringify({ format: 1, time: "t", attempt: 1, ...o })}\n`;

describe("parseEvents", () => {
  it("skips a torn last line and a corrupt or unknown-format line with warnings, never throws", () => {
    const warnings: string[] = [];
    const text =
      line({ seq: 0, type: "batch" }) +
      "{not json\n" +
      line({ seq: 1, type: "batch", format: 2 }) +
      line({ seq: 2, type: "epoch" }) +
      '{"format":1,"seq":3,"ty';
    const events = parseEvents(text, "events.jsonl", (m) => warnings.push(m));
    expect(events.map((e) => e.seq)).toEqual([0, 2]);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/half-written last line/);
    expect(warnings.join("\n")).toMatch(/not complete JSON/);
    expect(warnings.join("\n")).toMatch(/unknown format 2/);
  });
});

describe("dropSuperseded", () => {
  it("drops the abandoned attempt's events after the resumed-from point but keeps lifecycle events", () => {
    const events = [
      { seq: 0, type: "stage_started" },
      { seq: 1, type: "batch", epoch: 0 },
      { seq: 2, type: "epoch", epoch: 0 },
      { seq: 3, type: "checkpoint", epoch: 0 },
      { seq: 4, type: "batch", epoch: 1 },
      { seq: 5, type: "epoch", epoch: 1 }, // written, but killed before its checkpoint
      { seq: 6, type: "run_interrupted" },
      { seq: 7, type: "run_resumed", superseded_after_seq: 3 },
      { seq: 8, type: "batch", epoch: 1 },
      { seq: 9, type: "epoch", epoch: 1 },
    ] as unknown as RunEvent[];
    expect(dropSuperseded(events).map((e) => e.seq)).toEqual([0, 1, 2, 3, 6, 7, 8, 9]);
  });
});

describe("readRun", () => {
  it("reads meta, config, current events and summary of a run being written", async () => {
    const run = await createRun({ runsDir: tempRunsDir(), loaded: fakeSource() });
    run.append(batchBody("head", 0, 1));
    run.append(epochBody("head", 0, 0.5));
    appendFileSync(join(run.dir, RUN_FILES.events), '{"format":1,"seq":2,"time"');
    const warnings: string[] = [];
    const record = await readRun(run.dir, { warn: (m) => warnings.push(m) });
    expect(record.meta.id).toBe(run.id);
    expect(record.configYaml).toContain("name: demo");
    expect(record.events.map((e) => e.type)).toEqual(["batch", "epoch"]);
    expect(record.summary).toBeNull();
    expect(warnings).toHaveLength(1);
    run.finish("failed");
  });

  it("refuses a folder without meta.json or with an unknown format, by file name", async () => {
    const dir = join(tempRunsDir(), "x");
    mkdirSync(dir);
    await expect(readRun(dir)).rejects.toThrow(/meta\.json: not found/);
    writeFileSync(join(dir, RUN_FILES.meta), JSON.stringify({ format: 9 }));
    await expect(readRun(dir)).rejects.toThrow(/meta\.json: unknown format 9/);
  });
});

describe("readMeta", () => {
  it("turns a broken meta.json into an error the CLI prints without a stack", () => {
    const dir = join(tempRunsDir(), "broken");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, RUN_FILES.meta), '{"id":');
    expect(() => readMeta(dir)).toThrow(ExitError);
    expect(() => readMeta(dir)).toThrow(/meta\.json: not valid JSON/);
  });
});
