/**
 * `tensorflow-gpu` only when TensorFlow is really on a GPU. tfjs-node-gpu cannot be installed here
 * (its install script downloads libtensorflow), so `importNative` is replaced by one that registers
 * a fake `tensorflow` backend whose `isUsingGpuDevice` the test sets; the check itself is the real
 * one in index.ts/native.ts.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import * as tf from "../tf";
import { ExitError } from "../errors";
import { selectBackend } from "./index";
import type * as Native from "./native";

const fake = vi.hoisted(() => ({ isUsingGpuDevice: undefined as boolean | undefined }));

vi.mock("./native", async (importOriginal) => {
  const real = await importOriginal<typeof Native>();
  return {
    ...real,
    packageVersion: (pkg: string) => (pkg.startsWith("@tensorflow/tfjs-node") ? "4.22.0" : real.packageVersion(pkg)),
    importNative: async (pkg: string) => {
      if (pkg !== "@tensorflow/tfjs-node-gpu") throw new Error(`${pkg} is not installed`);
      const tfjs = await import("../tf");
      const { MathBackendCPU } = await import("@tensorflow/tfjs-backend-cpu");
      if (tfjs.findBackendFactory("tensorflow")) tfjs.removeBackend("tensorflow");
      const flag = fake.isUsingGpuDevice === undefined ? {} : { isUsingGpuDevice: fake.isUsingGpuDevice };
      tfjs.registerBackend("tensorflow", () => Object.assign(new MathBackendCPU(), flag));
    },
  };
});

afterEach(async () => {
  await tf.setBackend("cpu");
});

describe("tensorflow-gpu", () => {
  test("asked for by name on a machine where TensorFlow sees no GPU, it is refused by name", async () => {
    fake.isUsingGpuDevice = false;
    const error = await selectBackend("tensorflow-gpu").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExitError);
    expect((error as Error).message).toMatch(/^backend "tensorflow-gpu" is not available: TensorFlow sees no GPU/);
  });

  test("a backend that cannot say whether it is on a GPU is refused too", async () => {
    fake.isUsingGpuDevice = undefined;
    const error = await selectBackend("tensorflow-gpu").catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/cannot confirm TensorFlow is on a GPU/);
  });

  test("under auto it falls through, says why, and nothing claims cuda", async () => {
    fake.isUsingGpuDevice = false;
    const notes: string[] = [];
    const info = await selectBackend("auto", { onNote: (line) => notes.push(line) });
    expect(info.device).not.toBe("cuda");
    expect(["webgpu", "wasm"]).toContain(info.name);
    expect(notes[0]).toMatch(new RegExp(`^tensorflow-gpu: TensorFlow sees no GPU .*; using ${info.name}$`));
  });

  test("on a GPU it is used and recorded as cuda", async () => {
    fake.isUsingGpuDevice = true;
    const info = await selectBackend("tensorflow-gpu");
    expect(info).toMatchObject({ name: "tensorflow", device: "cuda", version: "4.22.0" });
  });
});
