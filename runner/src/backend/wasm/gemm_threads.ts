import { Worker } from "node:worker_threads";

/**
 * The fused module's GEMM on more than one thread, for tfjs's threaded wasm build.
 *
 * XNNPACK spreads its own kernels over tfjs's pthread pool, but that pool is Emscripten's and
 * cannot run code of another module, so the fused module's GEMM (conv_gemm.ts, and through it
 * every conv of a training step) would run on one thread. Each helper here is a Node worker
 * thread holding its own instance of the module on the same shared memory (fused-shared.wasm
 * imports it); a GEMM's output rows are split between the calling thread and the helpers, which
 * write disjoint rows of C in place. Hand-written because it is ~60 lines on Atomics: a general
 * pool (piscina & co.) posts messages through the event loop, which a synchronous tfjs kernel
 * cannot wait for.
 *
 * Protocol per helper, on an Int32Array over a SharedArrayBuffer: [0] job number (the caller
 * bumps it after writing the arguments), [1] last job done, [2] ready (1) / failed (-1), [3] 1 if
 * the last job threw; the GEMM's arguments from byte 16 as uint32 (byte offsets, counts).
 */
export interface GemmThreads {
  /** Threads a GEMM is split over (the caller's included). */
  readonly threads: number;
  /**
   * Runs gemm(a, b, bias, c, m, n, k, work_t, ta, r0_t, r1_t) for each thread t's share of the
   * rows; `works` holds one panel buffer per thread. Returns when every share is done.
   */
  run(gemm: GemmFn, args: GemmArgs, works: number[]): void;
}

/** gemm's signature in native/fused.c. */
export type GemmFn = (...args: number[]) => void;
/** gemm's arguments other than work and the row range. */
export interface GemmArgs {
  a: number;
  b: number;
  bias: number;
  c: number;
  m: number;
  n: number;
  k: number;
  ta: number;
}

const HELPER_SOURCE = `
const { workerData } = require("node:worker_threads");
const state = new Int32Array(workerData.control, 0, 4);
const args = new Uint32Array(workerData.control, 16, 11);
let gemm;
try {
  gemm = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports.gemm;
  Atomics.store(state, 2, 1);
} catch (error) {
  console.error("wasm GEMM helper thread could not start:", error);
  Atomics.store(state, 2, -1);
}
Atomics.notify(state, 2);
let seen = 0;
while (gemm) {
  Atomics.wait(state, 0, seen);
  seen = Atomics.load(state, 0);
  try {
    gemm(...args);
    Atomics.store(state, 3, 0);
  } catch (error) {
    console.error("wasm GEMM helper thread:", error);
    Atomics.store(state, 3, 1);
  }
  Atomics.store(state, 1, seen);
  Atomics.notify(state, 1);
}
`;

/** Rows of each share are a multiple of the micro-kernel's 4. */
const ROW_ALIGN = 4;

/**
 * Starts `helpers` worker threads on `module` instantiated over the shared `memory`, waiting (up
 * to 10 s) until each is ready. Returns null when one cannot start; the GEMM then runs on one thread.
 */
export function startGemmThreads(module: object, memory: object, helpers: number): GemmThreads | null {
  const states: Int32Array[] = [];
  const argViews: Uint32Array[] = [];
  const workers: Worker[] = [];
  for (let h = 0; h < helpers; h++) {
    const control = new SharedArrayBuffer(16 + 4 * 11);
    const worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { module, memory, control } });
    // Parked in Atomics.wait between GEMMs: they must not keep the process alive.
    worker.unref();
    workers.push(worker);
    states.push(new Int32Array(control, 0, 4));
    argViews.push(new Uint32Array(control, 16, 11));
  }
  for (const state of states) {
    Atomics.wait(state, 2, 0, 10_000);
    if (Atomics.load(state, 2) !== 1) {
      for (const w of workers) void w.terminate();
      return null;
    }
  }
  const threads = helpers + 1;
  return {
    threads,
    run(gemm, { a, b, bias, c, m, n, k, ta }, works) {
      const share = Math.ceil(m / threads / ROW_ALIGN) * ROW_ALIGN;
      const range = (t: number): [number, number] => [Math.min(m, t * share), Math.min(m, (t + 1) * share)];
      const jobs: number[] = [];
      for (let h = 0; h < helpers; h++) {
        const [r0, r1] = range(h + 1);
        if (r0 >= r1) break;
        argViews[h]!.set([a, b, bias, c, m, n, k, works[h + 1]!, ta, r0, r1]);
        jobs.push(Atomics.add(states[h]!, 0, 1) + 1);
        Atomics.notify(states[h]!, 0);
      }
      const [r0, r1] = range(0);
      try {
        gemm(a, b, bias, c, m, n, k, works[0]!, ta, r0, r1);
      } finally {
        // Even when this thread's share threw: the helpers write into buffers the caller frees next.
        jobs.forEach((job, h) => {
          const state = states[h]!;
          while (Atomics.load(state, 1) !== job) {
            if (Atomics.wait(state, 1, job - 1, 120_000) === "timed-out")
              throw new Error("wasm GEMM helper thread did not finish its rows within 120 s");
          }
        });
      }
      if (jobs.some((_, h) => Atomics.load(states[h]!, 3) !== 0))
        throw new Error("wasm GEMM helper thread failed (see stderr)");
    },
  };
}
