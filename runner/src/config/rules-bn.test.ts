import { describe, expect, it } from "vitest";
import { resolve } from "./resolve";
import { bnModeCoversFrozenGroups } from "./rules";

const config = (stage: object) =>
  resolve({
    name: "bn",
    data: { source: "synthetic" },
    model: { backbone: "resnet18", width: 0.25 },
    train: { stages: [{ trainable: ["head"], epochs: 1, size: 32, lr: 1e-3, ...stage }] },
  });

describe("bnModeCoversFrozenGroups", () => {
  it("warns when bn fixes the trainable groups' statistics but train_bn still trains the frozen ones", () => {
    const found = bnModeCoversFrozenGroups({ config: config({ bn: "inference" }), checkData: false });
    expect(found).toEqual([
      expect.objectContaining({
        path: ["train", "stages", 0, "bn"],
        severity: "warning",
        message: expect.stringMatching(/train_bn: false/),
      }),
    ]);
  });

  it("is quiet with train_bn: false, with bn: train, or when every group trains", () => {
    for (const stage of [{ bn: "inference", train_bn: false }, { bn: "train" }, { bn: "frozen", trainable: "all" }]) {
      expect(bnModeCoversFrozenGroups({ config: config(stage), checkData: false })).toEqual([]);
    }
  });
});
