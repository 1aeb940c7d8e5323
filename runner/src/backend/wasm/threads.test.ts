import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const probe = fileURLToPath(new URL("./threads_probe.ts", import.meta.url));

describe("wasm threads in Node", () => {
  it("runs the threaded build with 2 threads, matches cpu, and exits by itself", async () => {
    // A separate process: the wasm module starts once per process, and exiting is what we test.
    const started = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", probe], {
      timeout: 90_000,
      killSignal: "SIGKILL",
    });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      threads: number;
      gemmThreads: number;
      fused: true | string;
      rel: number;
      sharedMemory: boolean;
    };
    console.log(`threads probe: ${JSON.stringify(result)} in ${Date.now() - started} ms`);
    expect(result.threads).toBe(2);
    // The fused GEMM's helper thread started (gemm_threads.ts) and its rows are in the result.
    expect(result.gemmThreads).toBe(2);
    expect(result.sharedMemory).toBe(true);
    // fused-shared.wasm imports the threaded build's shared memory.
    expect(result.fused).toBe(true);
    expect(result.rel).toBeLessThan(1e-4);
  }, 120_000);
});
