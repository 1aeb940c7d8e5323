/** The Run page's event fold: series grow in place, duplicates are ignored, a resume drops superseded batches. */
import { describe, expect, it } from "vitest";
import type { RunEvent, RunEventBody } from "@tessera/shared";
import { RunState } from "../../dashboard/src/lib/runState";

let seq = 0;
const ev = (body: RunEventBody): RunEvent =>
  ({ format: 1, seq: seq++, time: new Date(1000 * seq).toISOString(), attempt: 1, ...body }) as RunEvent;
const batch = (step: number) =>
  ev({ type: "batch", stage: "s", epoch: 0, step, loss: 1 / step, lr: { body: 1e-4, head: 1e-3 }, images_per_s: 1 });

describe("RunState", () => {
  it("folds events into series, keeps array identity, and ignores a repeated seq", () => {
    seq = 0;
    const s = new RunState();
    const lossArray = s.batchLoss;
    s.apply(
      ev({
        type: "run_started",
        run_id: "r",
        config_hash: "h",
        data_hash: "d",
        classes: ["A", "B"],
        backend: "cpu",
        seed: 1,
      }),
    );
    s.apply(
      ev({
        type: "stage_started",
        stage: "s",
        index: 0,
        size: 32,
        epochs: 2,
        steps_per_epoch: 3,
        trainable: ["head"],
        lr: { body: 1e-4, head: 1e-3 },
        schedule: { name: "constant" },
      }),
    );
    const b1 = batch(1);
    s.apply(b1);
    s.apply(b1);
    s.apply(batch(2));
    expect(s.batchLoss).toBe(lossArray);
    expect(s.batchLoss.map((p) => p.x)).toEqual([1, 2]);
    expect(Object.keys(s.lr)).toEqual(["body", "head"]);
    expect(s.groups).toEqual(["body", "head"]);
    expect(s.stepsLeft(0)).toBe(4);
    expect(s.secondsPerStep()).toBeCloseTo(1);
  });

  it("drops batches superseded by a resume and keeps the rest", () => {
    seq = 0;
    const s = new RunState();
    s.apply(
      ev({
        type: "stage_started",
        stage: "s",
        index: 0,
        size: 32,
        epochs: 2,
        steps_per_epoch: 2,
        trainable: ["head"],
        lr: { head: 1e-3 },
        schedule: { name: "constant" },
      }),
    );
    s.apply(batch(1));
    s.apply(batch(2));
    s.apply(
      ev({
        type: "epoch",
        stage: "s",
        epoch: 0,
        step: 2,
        train_loss: 1,
        valid_loss: 1,
        valid_accuracy: 0.5,
        per_class: [],
        confusion: [],
        seconds: 1,
      }),
    );
    const cut = seq - 1;
    s.apply(batch(3)); // the partial epoch the crash abandoned
    s.apply(ev({ type: "run_resumed", from: { stage: "s", epoch: 1, step: 2 }, superseded_after_seq: cut }));
    s.apply(batch(3));
    expect(s.batchLoss.map((p) => p.x)).toEqual([1, 2, 3]);
    expect(s.accuracy).toEqual([{ x: 2, y: 0.5 }]);
    expect(s.status).toBe("running");
  });

  it("shows an LR-finder sweep in progress until its result arrives", () => {
    seq = 0;
    const s = new RunState();
    const step = (n: number) =>
      ev({ type: "lr_find_step", stage: "head", step: n, steps: 50, lr: 1e-6 * 1.3 ** n, loss: 2, smoothed: 2 });
    s.apply(step(1));
    s.apply(step(2));
    expect(s.lrFindLive).toMatchObject({ stage: "head", step: 2, steps: 50 });
    s.apply(
      ev({
        type: "lr_find",
        stage: "head",
        points: [],
        suggestions: { valley: 1e-3, steep: 1e-3, minimum: 1e-4, slide: 1e-3 },
        chosen: { rule: "valley", lr: 1e-3 },
      }),
    );
    expect(s.lrFindLive).toBeNull();
    expect(s.lrFinds).toHaveLength(1);
  });
});
