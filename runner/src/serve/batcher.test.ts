import { describe, expect, it } from "vitest";
import { Batcher, QueueFullError } from "./batcher";

const double = async (xs: number[]) => xs.map((x) => x * 2);

describe("Batcher", () => {
  it("gathers concurrent items into one call of at most maxBatch", async () => {
    const calls: number[][] = [];
    const b = new Batcher<number, number>(
      async (xs) => {
        calls.push(xs);
        return double(xs);
      },
      { maxBatch: 4, maxWaitMs: 20 },
    );
    const results = await Promise.all([...b.submitAll([1, 2, 3]), ...b.submitAll([4, 5, 6])]);
    expect(results.map((r) => r.output)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(calls).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ]);
    expect(results[0]!.timing.batch_size).toBe(4);
    expect(results[5]!.timing.batch_size).toBe(2);
  });

  it("runs a lone item after maxWaitMs rather than waiting for a full batch", async () => {
    const b = new Batcher<number, number>(double, { maxBatch: 8, maxWaitMs: 10 });
    const t0 = performance.now();
    const [r] = b.submitAll([7]);
    expect((await r!).output).toBe(14);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("refuses a request whole when the queue would overflow, and keeps serving", async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const b = new Batcher<number, number>(
      async (xs) => {
        await gate;
        return double(xs);
      },
      { maxBatch: 2, maxWaitMs: 1, maxQueue: 3 },
    );
    const first = b.submitAll([1, 2]); // runs (and blocks on the gate)
    await new Promise((r) => setTimeout(r, 10));
    const queued = b.submitAll([3, 4, 5]); // fills the queue
    expect(() => b.submitAll([6])).toThrow(QueueFullError);
    expect(b.waiting).toBe(3);
    release();
    expect((await Promise.all([...first, ...queued])).map((r) => r.output)).toEqual([2, 4, 6, 8, 10]);
    expect((await b.submitAll([6])[0]!).output).toBe(12);
  });

  it("a failing batch rejects its own items only", async () => {
    const b = new Batcher<number, number>(
      async (xs) => {
        if (xs.includes(-1)) throw new Error("bad batch");
        return double(xs);
      },
      { maxBatch: 1, maxWaitMs: 1 },
    );
    const [bad, good] = [b.submitAll([-1])[0]!, b.submitAll([3])[0]!];
    await expect(bad).rejects.toThrow("bad batch");
    expect((await good).output).toBe(6);
  });
});
