/**
 * The `runs.events` subscription over real SSE (tRPC's fetch handler, as the Next route serves
 * it): backlog then live lines, and after a dropped connection a reconnect with `Last-Event-ID`
 * resumes with no gap and no duplicate.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleTrpc } from "../../dashboard/src/server/http";
import { FixtureRun } from "../e2e/fixture-run";

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "tessera-sse-"));
  process.env.TESSERA_RUNS_DIR = root;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Opens the subscription and returns an iterator over the seqs of the tracked events it sends. */
function subscribe(id: string, lastEventId?: string) {
  const abort = new AbortController();
  const input = encodeURIComponent(JSON.stringify({ id }));
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
  const req = new Request(`http://localhost/api/trpc/runs.events?input=${input}`, { headers, signal: abort.signal });
  const seqs: number[] = [];
  let waiters: (() => void)[] = [];
  const done = (async () => {
    const res = await handleTrpc(req);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        let end;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const id = /^id: ?(.*)$/m.exec(block)?.[1];
          const data = /^data: ?(.*)$/m.exec(block)?.[1];
          if (id === undefined || data === undefined) continue; // connected / ping
          const event = JSON.parse(data) as { seq: number };
          expect(String(event.seq)).toBe(id);
          seqs.push(event.seq);
          waiters.forEach((w) => w());
          waiters = [];
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
  })();
  const until = async (n: number) => {
    const deadline = Date.now() + 10_000;
    while (seqs.length < n) {
      if (Date.now() > deadline) throw new Error(`timed out with seqs ${JSON.stringify(seqs)}, wanted ${n}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return { seqs, until, close: () => abort.abort(), done };
}

const batch = (step: number) =>
  ({ type: "batch", stage: "s", epoch: 0, step, loss: 1, lr: { head: 1e-3 }, images_per_s: 1 }) as const;

describe("runs.events over SSE", () => {
  it("sends the backlog, then live lines, and resumes after a drop without gap or duplicate", async () => {
    const run = new FixtureRun(root, "20260101-000000-sse-0001");
    for (let i = 0; i < 5; i++) run.append(batch(i));

    const first = subscribe(run.id);
    await first.until(5);
    run.append(batch(5));
    run.append(batch(6));
    await first.until(7);
    expect(first.seqs).toEqual([0, 1, 2, 3, 4, 5, 6]);
    first.close();
    await first.done;

    // written while the browser is away
    run.append(batch(7));
    run.append(batch(8));

    const second = subscribe(run.id, String(first.seqs.at(-1)));
    await second.until(2);
    run.append(batch(9));
    await second.until(3);
    // give a duplicate the chance to show up
    await new Promise((r) => setTimeout(r, 300));
    second.close();
    await second.done;
    expect(second.seqs).toEqual([7, 8, 9]);
    expect([...first.seqs, ...second.seqs]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("tolerates a torn last line: it is sent once it is complete", async () => {
    const run = new FixtureRun(root, "20260101-000000-torn-0002");
    run.append(batch(0));
    const { appendFileSync } = await import("node:fs");
    const line = JSON.stringify({ format: 1, seq: 1, time: new Date().toISOString(), attempt: 1, ...batch(1) });
    appendFileSync(join(run.dir, "events.jsonl"), line.slice(0, 20));
    const sub = subscribe(run.id);
    await sub.until(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(sub.seqs).toEqual([0]);
    appendFileSync(join(run.dir, "events.jsonl"), `${line.slice(20)}\n`);
    await sub.until(2);
    sub.close();
    await sub.done;
    expect(sub.seqs).toEqual([0, 1]);
  });

  it("refuses a run id that escapes the run store", async () => {
    const input = encodeURIComponent(JSON.stringify({ id: "../etc" }));
    const res = await handleTrpc(new Request(`http://localhost/api/trpc/runs.get?input=${input}`));
    expect(res.status).toBe(400);
  });
});
