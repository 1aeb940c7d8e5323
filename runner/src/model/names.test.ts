import { describe, expect, test } from "vitest";
import { mapLayerName, mapWeightName } from "./names";

describe("mapLayerName", () => {
  test.each([
    ["conv1", "conv1_conv"],
    ["bn_conv1", "conv1_bn"],
    ["res2a_branch2a", "conv2_block1_1_conv"],
    ["bn2a_branch2b", "conv2_block1_2_bn"],
    ["res2a_branch1", "conv2_block1_0_conv"],
    ["bn3d_branch2c", "conv3_block4_3_bn"],
    ["res4f_branch2c", "conv4_block6_3_conv"],
    ["res4b22_branch2a", "conv4_block23_1_conv"],
    ["fc1000", "logits"],
    ["predictions", "logits"],
    ["probs", "logits"],
    ["conv5_block3_3_bn", "conv5_block3_3_bn"],
  ])("%s -> %s", (from, to) => {
    expect(mapLayerName(from)).toBe(to);
  });

  test("weight names keep their parameter and drop :0", () => {
    expect(mapWeightName("bn2a_branch1/moving_mean")).toBe("conv2_block1_0_bn/moving_mean");
    expect(mapWeightName("res5c_branch2a/kernel:0")).toBe("conv5_block3_1_conv/kernel");
    expect(mapWeightName("resnet152/conv4_block36_3_bn/moving_variance")).toBe("conv4_block36_3_bn/moving_variance");
  });
});
