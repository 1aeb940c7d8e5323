import { afterAll, describe, expect, test } from "vitest";
import * as tf from "../tf";
import { ExitError } from "../errors";
import { selectBackend } from "./index";
import { nativeProblem } from "./native";

afterAll(async () => {
  await tf.setBackend("cpu");
});

describe("selectBackend", () => {
  test("cpu by name", async () => {
    const info = await selectBackend("cpu");
    expect(info).toMatchObject({ name: "cpu", threads: 1, device: null });
    expect(info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(tf.getBackend()).toBe("cpu");
  });

  // Here (and in CI) tfjs-node is installed without its libtensorflow binding.
  test.runIf(nativeProblem("@tensorflow/tfjs-node") !== null)(
    "a missing native backend asked for by name says how to install it",
    async () => {
      const error = await selectBackend("tensorflow").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExitError);
      expect((error as Error).message).toMatch(/backend "tensorflow" is not available: .*binding.*pnpm --filter/);
    },
  );

  test.runIf(nativeProblem("@tensorflow/tfjs-node-gpu") !== null && nativeProblem("@tensorflow/tfjs-node") !== null)(
    "auto falls through the missing native backends to one that starts",
    async () => {
      const info = await selectBackend("auto");
      expect(["webgpu", "wasm"]).toContain(info.name);
      expect(tf.getBackend()).toBe(info.name);
    },
  );
});
