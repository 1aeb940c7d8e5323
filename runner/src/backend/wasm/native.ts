import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The exports of native/fused.c. Every pointer is a byte offset in tfjs-backend-wasm's heap (the
 * module imports that very memory), every count an element count.
 */
export interface FusedExports {
  relu_grad(dy: number, x: number, dx: number, n: number): void;
  channel_sums(dy: number, x: number, mean: number, sumDy: number, sumDyXc: number, rows: number, c: number): void;
  scale_channels(a: number, scale: number, out: number, rows: number, c: number): void;
  broadcast_rows(v: number, out: number, rows: number, c: number): void;
  batch_norm(
    x: number,
    mean: number,
    variance: number,
    scale: number,
    offset: number,
    eps: number,
    g: number,
    out: number,
    rows: number,
    c: number,
  ): void;
  transpose4(x: number, out: number, ...dimsThenPerm: number[]): void;
  im2col(x: number, out: number, ...dimsFilterStridesDilationsPads: number[]): void;
  col2im(cols: number, x: number, ...dimsFilterStridesDilationsPads: number[]): void;
  gemm(...aBBiasCMNKWorkTaR0R1: number[]): void;
  reverse_blocks(x: number, out: number, t: number, rest: number): void;
}

const EXPORT_NAMES = [
  "relu_grad",
  "channel_sums",
  "scale_channels",
  "broadcast_rows",
  "batch_norm",
  "transpose4",
  "im2col",
  "col2im",
  "gemm",
  "reverse_blocks",
] as const;

/**
 * A WebAssembly.Memory as far as it is used here. Spelled out because the repo's tsconfigs load
 * no "dom" lib, and @types/node's WebAssembly namespace has no Memory type in every project.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** The WebAssembly JS API, typed for the same reason. */
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The Emscripten module of tfjs-backend-wasm (`backend.wasm`), as far as it is used here. */
interface EmscriptenModule {
  /** The threaded build's (shared) memory. */
  wasmMemory?: WasmMemory;
  /** The single-threaded build exports its memory instead. */
  asm?: { memory?: WasmMemory };
}

/** The backend's WebAssembly.Memory, or null when neither build's way of exposing it is there. */
export function backendMemory(backend: unknown): WasmMemory | null {
  const module = (backend as { wasm?: EmscriptenModule }).wasm;
  const memory = module?.wasmMemory ?? module?.asm?.memory;
  return memory instanceof wasmApi.Memory ? memory : null;
}

/** Path of the committed binary for a shared (threaded build) or plain memory. */
export function fusedWasmPath(shared: boolean): string {
  return fileURLToPath(new URL(shared ? "./native/fused-shared.wasm" : "./native/fused.wasm", import.meta.url));
}

const compiled = new Map<string, object>();

/** The compiled module of `file` (compiled once per process; the GEMM's helper threads reuse it). */
export function compiledModule(file: string): object {
  let module = compiled.get(file);
  if (module === undefined) {
    module = new wasmApi.Module(readFileSync(file));
    compiled.set(file, module);
  }
  return module;
}

/**
 * Instantiates native/fused.wasm on the backend's own memory (synchronously: 4 KB). Returns the
 * reason instead when it cannot (memory not found, binary missing, import mismatch), so the caller
 * keeps tfjs's composite path; `TESSERA_WASM_FUSED=0` turns it off on purpose (A/B measurements).
 */
export function loadFused(backend: unknown): FusedExports | { error: string } {
  if (process.env.TESSERA_WASM_FUSED === "0") return { error: "TESSERA_WASM_FUSED=0" };
  const memory = backendMemory(backend);
  if (memory === null) return { error: "tfjs-backend-wasm's memory not found (neither wasmMemory nor asm.memory)" };
  const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
  const file = fusedWasmPath(shared);
  try {
    const instance = new wasmApi.Instance(compiledModule(file), { env: { memory } });
    const exports = instance.exports;
    const missing = EXPORT_NAMES.filter((name) => typeof exports[name] !== "function");
    if (missing.length > 0) return { error: `${file} lacks ${missing.join(", ")}` };
    return exports as unknown as FusedExports;
  } catch (error) {
    return { error: `${file}: ${(error as Error).message}` };
  }
}
