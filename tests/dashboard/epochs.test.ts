/** The dashboard's epoch labels agree with the events (1-based) and with `tessera ls`. */
import { describe, expect, it } from "vitest";
import { confusionTitle, epochOfEpochs, liveEpochBatch } from "../../dashboard/src/lib/epochs";

describe("dashboard epoch labels", () => {
  it("the runs table shows the last epoch of a 3-epoch stage as 3/3, not 4/3", () => {
    expect(epochOfEpochs(3, 3)).toBe(" · 3/3");
    expect(epochOfEpochs(1, 3)).toBe(" · 1/3");
    expect(epochOfEpochs(null, 3)).toBe("");
  });

  it("the confusion title names the epoch the event recorded", () => {
    expect(confusionTitle({ stage: "all", epoch: 2 })).toBe("Confusion matrix · all epoch 2");
  });

  it("the live header: epoch 1 batch 4/4 at the end of epoch 1, epoch 2 batch 1 after", () => {
    expect(liveEpochBatch(0, 4, 3)).toEqual({ epoch: 1, batch: 0 });
    expect(liveEpochBatch(1, 4, 3)).toEqual({ epoch: 1, batch: 1 });
    expect(liveEpochBatch(4, 4, 3)).toEqual({ epoch: 1, batch: 4 });
    expect(liveEpochBatch(5, 4, 3)).toEqual({ epoch: 2, batch: 1 });
    expect(liveEpochBatch(12, 4, 3)).toEqual({ epoch: 3, batch: 4 });
    expect(liveEpochBatch(3, null, 3)).toBeNull();
  });
});
