import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RUN_FILES, type RunEvent } from "@tessera/shared";
import { tailEvents } from "@tessera/shared/runstore";
import { createRun } from "./writer";
import { batchBody, fakeSource, tempRunsDir } from "./test-helpers";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("tailEvents", () => {
  it("yields the backlog then live events once each, across a line written in two pieces", async () => {
    const run = await createRun({ runsDir: tempRunsDir(), loaded: fakeSource() });
    run.append(batchBody("head", 0, 1));
    run.append(batchBody("head", 0, 2));
    const controller = new AbortController();
    const seen: RunEvent[] = [];
    const done = (async () => {
      for await (const e of tailEvents(run.dir, { signal: controller.signal, pollMs: 50 })) seen.push(e);
    })();
    await sleep(100);
    run.append(batchBody("head", 0, 3));
    // A line arriving in two writes (as a reader may see a writer mid-line) is yielded once, whole.
    const half = JSON.stringify({ format: 1, seq: 3, time: "t", type: "batch", attempt: 1, step: 4 });
    appendFileSync(join(run.dir, RUN_FILES.events), half.slice(0, 20));
    await sleep(150);
    expect(seen.map((e) => e.seq)).toEqual([0, 1, 2]);
    appendFileSync(join(run.dir, RUN_FILES.events), `${half.slice(20)}\n`);
    await sleep(150);
    controller.abort();
    await done;
    expect(seen.map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    expect(seen[3]).toMatchObject({ type: "batch", step: 4 });
    run.finish("finished");
  });

  it("starts after afterSeq and can stop at the end of the run", async () => {
    const run = await createRun({ runsDir: tempRunsDir(), loaded: fakeSource() });
    for (let i = 0; i < 5; i++) run.append(batchBody("head", 0, i));
    const seen: number[] = [];
    const done = (async () => {
      for await (const e of tailEvents(run.dir, { afterSeq: 2, untilEnd: true, pollMs: 50 })) seen.push(e.seq);
    })();
    await sleep(50);
    run.append({ type: "run_failed", error: "boom", stage: null, epoch: null });
    await done;
    expect(seen).toEqual([3, 4, 5]);
    run.finish("failed");
  });

  it("misses nothing appended at a high rate while it reads", async () => {
    const run = await createRun({ runsDir: tempRunsDir(), loaded: fakeSource() });
    const controller = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const e of tailEvents(run.dir, { signal: controller.signal, pollMs: 20 })) {
        seen.push(e.seq);
        if (seen.length === 500) controller.abort();
      }
    })();
    for (let i = 0; i < 500; i++) {
      run.append(batchBody("head", 0, i));
      if (i % 50 === 0) await sleep(1);
    }
    await done;
    expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => i));
    run.finish("finished");
  });
});
