import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// tfjs-layers registers every op gradient (tfjs-core's Node bundle alone registers none).
import "@tensorflow/tfjs-layers";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { missingComponent } from "../../../../tests/helpers/components";
import { prepareWasmBackend } from "./index";
import { FusedKernel, registerFusedKernels, unregisterFusedKernels } from "./fused_kernels";
import { fusedWasmPath, loadFused, type FusedExports } from "./native";
import { compareOnBackends, weightedSum } from "./testing";

let module: FusedExports;

beforeAll(async () => {
  const { fused } = await prepareWasmBackend();
  if (fused !== true) throw new Error(`fused module not loaded: ${fused.error}`);
  const m = loadFused(tf.backend());
  if ("error" in m) throw new Error(m.error);
  module = m;
});
afterAll(() => registerFusedKernels(module));

/** Training-mode batch norm (tfjs-layers: batch moments, then FusedBatchNorm), then ReLU. */
function bnReluLoss(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Scalar {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const y = tf.relu(tf.batchNorm(x, mean, variance, beta, gamma, 1e-3));
  return weightedSum(y);
}

/** Names of the kernels `f` runs on the active backend (gradients included). */
async function kernelsRun(f: () => tf.Tensor[]): Promise<string[]> {
  const info = await tf.profile(() => f());
  tf.dispose(info.result as tf.Tensor[]);
  return info.kernelNames;
}

describe("native/fused.wasm kernels", () => {
  // Channel counts below, at and above one SIMD vector (4), and not a multiple of it.
  it.for([
    [2, 5, 4, 3],
    [2, 3, 3, 8],
    [4, 7, 6, 17],
    [1, 9, 9, 64],
  ])("BN + ReLU + moments gradients match cpu's (tfjs-core's), x %j", (shape) => {
    const c = shape[3]!;
    const diff = compareOnBackends(`bn+relu x${shape.join("x")}`, [shape, [c], [c]], (xs) =>
      tf.grads((...a: tf.Tensor[]) => bnReluLoss(a[0]!, a[1]!, a[2]!))(xs),
    );
    expect(diff.rel).toBeLessThan(1e-4);
  });

  it.for([
    [2, 5, 4, 3],
    [1, 4, 4, 64],
  ])("FusedBatchNorm forward matches cpu, with and without scale/offset, x %j", (shape) => {
    const c = shape[3]!;
    const diff = compareOnBackends(`bn forward x${shape.join("x")}`, [shape, [c], [c], [c], [c]], (xs) => {
      const [x, mean, v, scale, offset] = xs as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
      return tf.tidy(() => {
        const variance = tf.add(tf.abs(v), 0.1) as tf.Tensor1D;
        // A large mean and a small spread: centring before scaling keeps the precision.
        const far = tf.add(tf.mul(x, 0.01), 100) as tf.Tensor4D;
        return [
          tf.batchNorm(x, mean, variance, offset, scale, 1e-3),
          tf.batchNorm(x, mean, variance, undefined, undefined, 1e-3),
          tf.batchNorm(
            far,
            tf.add(mean, 100) as tf.Tensor1D,
            tf.mul(variance, 1e-4) as tf.Tensor1D,
            offset,
            scale,
            1e-5,
          ),
          // Statistics of rank 4: wasm's own kernel.
          tf.batchNorm(
            x,
            ...([mean, variance, offset, scale].map((t) => tf.reshape(t, [1, 1, 1, c]) as tf.Tensor4D) as [
              tf.Tensor4D,
              tf.Tensor4D,
              tf.Tensor4D,
              tf.Tensor4D,
            ]),
            1e-3,
          ),
        ];
      });
    });
    expect(diff.rel).toBeLessThan(1e-4);
  });

  // Every permutation of rank 4 (odd sizes: the scalar edges; 8x12: whole SIMD blocks), and ranks 2-3.
  const perms4 = [0, 1, 2, 3]
    .flatMap((a) => [0, 1, 2, 3].flatMap((b) => [0, 1, 2, 3].flatMap((c) => [0, 1, 2, 3].map((d) => [a, b, c, d]))))
    .filter((p) => new Set(p).size === 4);
  it.for([
    [2, 3, 5, 7],
    [3, 8, 5, 12],
    [1, 9, 36, 40],
  ])("Transpose matches cpu for all 24 permutations, x %j", (shape) => {
    const diff = compareOnBackends(`transpose x${shape.join("x")}`, [shape], (xs) =>
      perms4.map((perm) => tf.transpose(xs[0]!, perm)),
    );
    expect(diff.abs).toBe(0);
  });

  it("Transpose of ranks 2 and 3 (padded to 4) matches cpu", () => {
    const diff = compareOnBackends(
      "transpose rank 2/3",
      [
        [37, 70],
        [5, 9, 13],
      ],
      ([a, b]) => [
        tf.transpose(a!),
        ...[
          [0, 2, 1],
          [2, 0, 1],
          [1, 2, 0],
          [2, 1, 0],
        ].map((perm) => tf.transpose(b!, perm)),
      ],
    );
    expect(diff.abs).toBe(0);
  });

  it("runs in place of tfjs's composite gradients on wasm, and not on cpu", async () => {
    const x = tf.randomNormal([2, 4, 4, 8], 0, 1, "float32", 3);
    const [g, b] = [tf.ones([8]), tf.zeros([8])];
    const step = () => tf.grads((...a: tf.Tensor[]) => bnReluLoss(a[0]!, a[1]!, a[2]!))([x, g, b]);
    const onWasm = await kernelsRun(step);
    // (The conv kernels run inside the convs and their gradients: conv2d_grads.test.ts checks them.)
    const { reluGrad, channelSums, scaleChannels, broadcastRows } = FusedKernel;
    for (const k of [reluGrad, channelSums, scaleChannels, broadcastRows]) expect(onWasm).toContain(k);
    expect(onWasm).not.toContain("Step");
    tf.setBackend("cpu");
    const onCpu = await kernelsRun(step);
    tf.setBackend("wasm");
    expect(onCpu.filter((k) => k.startsWith("Tessera"))).toEqual([]);
    tf.dispose([x, g, b]);
  });

  it("falls back to the composite path when the kernels are not registered (module not loaded)", async () => {
    unregisterFusedKernels();
    try {
      const shape = [2, 5, 4, 6];
      const diff = compareOnBackends("bn+relu composite", [shape, [6], [6]], (xs) =>
        tf.grads((...a: tf.Tensor[]) => bnReluLoss(a[0]!, a[1]!, a[2]!))(xs),
      );
      expect(diff.rel).toBeLessThan(1e-4);
      const x = tf.randomNormal(shape);
      const names = await kernelsRun(() => [tf.grad((a: tf.Tensor) => tf.sum(tf.relu(a)))(x)]);
      expect(names).toContain("Step");
      x.dispose();
    } finally {
      registerFusedKernels(module);
    }
  });

  it("Mean over non-leading axes keeps tfjs-core's gradient", () => {
    const diff = compareOnBackends("mean axes 1,2", [[2, 3, 4, 5]], (xs) => [
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, [1, 2]), tf.reshape(tf.range(0, 10), [2, 5]))))(xs[0]!),
    ]);
    expect(diff.rel).toBeLessThan(1e-6);
  });

  it("reports why it cannot load instead of throwing", () => {
    expect(loadFused({})).toEqual({ error: expect.stringContaining("memory not found") });
    const saved = process.env.TESSERA_WASM_FUSED;
    process.env.TESSERA_WASM_FUSED = "0";
    try {
      expect(loadFused(tf.backend())).toEqual({ error: "TESSERA_WASM_FUSED=0" });
    } finally {
      if (saved === undefined) delete process.env.TESSERA_WASM_FUSED;
      else process.env.TESSERA_WASM_FUSED = saved;
    }
    // A memory of the wrong kind: the shared build's import does not accept a plain memory.
    const plain = new WebAssembly.Memory({ initial: 1 });
    expect(
      () =>
        new WebAssembly.Instance(new WebAssembly.Module(readFileSync(fusedWasmPath(true))), { env: { memory: plain } }),
    ).toThrow();
  });

  it("the committed binaries own no memory: no data section, only env.memory imported", () => {
    for (const shared of [false, true]) {
      const bytes = readFileSync(fusedWasmPath(shared));
      const mod = new WebAssembly.Module(bytes);
      expect(WebAssembly.Module.imports(mod)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
      expect(sectionIds(bytes)).not.toContain(11); // 11: data
    }
  });

  it("native/build.sh reproduces the committed .wasm bytes", async (ctx) => {
    const why = await missingComponent("clang");
    if (why !== null) return ctx.skip(why);
    const out = mkdtempSync(join(tmpdir(), "tessera-fused-"));
    try {
      execFileSync(fileURLToPath(new URL("./native/build.sh", import.meta.url)), [out], { stdio: "pipe" });
      for (const shared of [false, true]) {
        const name = shared ? "fused-shared.wasm" : "fused.wasm";
        expect(
          readFileSync(join(out, name)).equals(readFileSync(fusedWasmPath(shared))),
          `${name} differs: run build.sh and commit`,
        ).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

/** The ids of a wasm binary's sections, in order (the binary format's framing: id, LEB128 size). */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let i = 8; // magic + version
  while (i < bytes.length) {
    ids.push(bytes[i++]!);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[i++]!;
      size |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    i += size;
  }
  return ids;
}
