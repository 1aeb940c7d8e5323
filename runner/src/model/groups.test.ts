import { describe, expect, test } from "vitest";
import { BACKBONES, type BackboneName, type ResolvedModel } from "@tessera/shared";
import { ConfigError } from "../errors";
import { buildModel, RESNET_SPECS, setTrainable, trainableVariablesByGroup, type BuiltModel } from "./index";

const DEFAULT_GROUPS: ResolvedModel["groups"] = {
  early: ["stem", "conv2", "conv3"],
  late: ["conv4", "conv5"],
  head: ["head"],
};

const build = (backbone: BackboneName, hidden = 0) =>
  buildModel(
    { backbone, pretrained: "none", width: 1 / 32, head: { dropout: 0.5, hidden }, groups: DEFAULT_GROUPS },
    4,
  );

/**
 * Trainable variables of one stage, counted from the architecture: a conv has kernel+bias, a BN
 * gamma+beta; each block has 2 (basic) or 3 (bottleneck) conv+BN pairs, the first block of a
 * stage a projection shortcut where the shape changes.
 */
function expectedStageVars(backbone: BackboneName, stage: number): number {
  const spec = RESNET_SPECS[backbone];
  const pairs = spec.block === "bottleneck" ? 3 : 2;
  const shortcut = spec.block === "bottleneck" || stage > 0 ? 1 : 0;
  return 4 * (spec.blocks[stage]! * pairs + shortcut);
}

const names = (built: BuiltModel, group: string) =>
  trainableVariablesByGroup(built)
    .get(group)!
    .map((v) => v.originalName);

describe.each(BACKBONES)("%s layer groups", (backbone) => {
  test("each group holds exactly the variables of its parts", async () => {
    const built = await build(backbone, 8);
    setTrainable(built, ["early", "late", "head"], true);
    const early = names(built, "early");
    const late = names(built, "late");
    const head = names(built, "head");
    expect(early.length).toBe(4 + expectedStageVars(backbone, 0) + expectedStageVars(backbone, 1));
    expect(late.length).toBe(expectedStageVars(backbone, 2) + expectedStageVars(backbone, 3));
    expect(early.every((n) => /^(conv1|conv2|conv3)_/.test(n))).toBe(true);
    expect(late.every((n) => /^(conv4|conv5)_/.test(n))).toBe(true);
    expect(head.sort()).toEqual(["head_hidden/bias", "head_hidden/kernel", "logits/bias", "logits/kernel"]);
    // Every trainable weight of the model is in exactly one group.
    expect(early.length + late.length + head.length).toBe(built.model.trainableWeights.length);
  });

  test("freezing: train_bn keeps the frozen groups' BatchNorm gamma/beta trainable", async () => {
    const built = await build(backbone);
    setTrainable(built, ["head"], true);
    const early = names(built, "early");
    expect(early.length).toBeGreaterThan(0);
    expect(early.every((n) => /_bn\/(gamma|beta)$/.test(n))).toBe(true);
    expect(names(built, "head")).toHaveLength(2);

    setTrainable(built, ["head"], false);
    expect(names(built, "early")).toEqual([]);
    expect(names(built, "late")).toEqual([]);
    expect(names(built, "head")).toHaveLength(2);

    setTrainable(built, ["late", "head"], false);
    expect(names(built, "early")).toEqual([]);
    expect(names(built, "late").length).toBe(expectedStageVars(backbone, 2) + expectedStageVars(backbone, 3));
  });
});

describe("groups", () => {
  test("custom groups follow the config", async () => {
    const built = await buildModel(
      {
        backbone: "resnet18",
        pretrained: "none",
        width: 1 / 32,
        head: { dropout: 0, hidden: 0 },
        groups: { body: ["stem", "conv2", "conv3", "conv4", "conv5"], top: ["head"] },
      },
      3,
    );
    expect(built.groups.map((g) => g.name)).toEqual(["body", "top"]);
    setTrainable(built, ["top"], false);
    expect(built.model.trainableWeights.map((w) => w.originalName).sort()).toEqual(["logits/bias", "logits/kernel"]);
  });

  test("an unknown group is a ConfigError naming the known ones", async () => {
    const built = await build("resnet18");
    expect(() => setTrainable(built, ["middle"], true)).toThrow(ConfigError);
    expect(() => setTrainable(built, ["middle"], true)).toThrow(
      /unknown layer group "middle", expected one of early, late, head/,
    );
  });
});
