import { Worker as NodeWorker } from "node:worker_threads";
import type { TransferListItem } from "node:worker_threads";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { env } from "@tensorflow/tfjs-core";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";

/**
 * Lets tfjs-backend-wasm's threaded build (XNNPACK on a pthread pool) run in Node, where tfjs
 * 4.22 turns threads off. Three things stand in the way, each patched here and nowhere else:
 * 1. WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false under Node: we set the flag.
 * 2. tfjs hands Emscripten the pthread worker script as a `blob:` URL, and the threaded module as
 *    a Blob; Node's Worker loads neither. Emscripten creates its workers through the global
 *    `Worker`, so we install a Worker that runs the same worker source (`eval: true`) and rewrites
 *    the module Blob in its "load" message into the module's file path.
 * 3. The C++ side caps the pool at half the logical cores, which it reads through Emscripten's
 *    `require("os").cpus()`: {@link withCoreCount} reports enough cores while the pool is built.
 * 4. Pool threads would keep Node's event loop alive forever (Emscripten ref()s a worker while
 *    it runs a pthread, and XNNPACK's pool threads run until the module is disposed): our workers
 *    are unref'd and ignore ref(), so the process still exits by itself when its own work is done.
 * Call before the wasm backend initialises (prepareWasmBackend does).
 */
export function enableNodeThreads(threads: number, distDir: string): void {
  const require = createRequire(import.meta.url);
  const wasmOut = path.join(distDir, "..", "wasm-out");
  const workerSource = (
    require(path.join(wasmOut, "tfjs-backend-wasm-threaded-simd.worker.js")) as WorkerModule
  ).wasmWorkerContents // Newlines inside its string literals arrive unescaped; tfjs escapes them the same way.
    .replace(/\n/g, "\\n");
  const mainScript = path.join(wasmOut, "tfjs-backend-wasm-threaded-simd.js");

  class EmscriptenNodeWorker extends NodeWorker {
    constructor() {
      super(workerSource, { eval: true });
      this.unref();
    }
    // Emscripten ref()s a worker while it runs a pthread, and XNNPACK's pool threads never end.
    override ref(): void {}
    override postMessage(message: unknown, transfer?: readonly TransferListItem[]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown };
      const fixed = m?.cmd === "load" && typeof m.urlOrBlob !== "string" ? { ...m, urlOrBlob: mainScript } : message;
      super.postMessage(fixed, transfer);
    }
  }
  // Emscripten assigns global.Worker = worker_threads.Worker while it starts; keep ours instead.
  Object.defineProperty(globalThis, "Worker", {
    configurable: true,
    get: () => EmscriptenNodeWorker,
    set: () => {},
  });
  env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  setThreadsCount(threads);
}

/**
 * Runs `start` (the backend's start-up) while `os.cpus()` reports `2 * threads` cores, so that
 * tfjs's cores/2 cap lets the pool have `threads` threads; restores `os.cpus` afterwards.
 */
export async function withCoreCount<T>(threads: number, start: () => Promise<T>): Promise<T> {
  const real = os.cpus;
  const cores = real();
  const first = cores[0];
  os.cpus = () =>
    first === undefined ? cores : Array.from({ length: Math.max(cores.length, 2 * threads) }, () => first);
  try {
    return await start();
  } finally {
    os.cpus = real;
  }
}

interface WorkerModule {
  wasmWorkerContents: string;
}
