import { getKernel } from "@tensorflow/tfjs-core";
import type { KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs-core";
import { FusedKernel } from "./fused_names";

/** The two BackendWasm methods (not on KernelBackend) that write a new tensor in the wasm heap. */
interface WasmHeapAccess {
  makeOutput(shape: number[], dtype: "float32"): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

/**
 * Runs other registered `wasm` kernels from inside a kernel and frees every intermediate result
 * unless it is kept. Composite kernels are built this way (as tfjs's own backends do) so all the
 * arithmetic happens in wasm/XNNPACK, never in JavaScript loops.
 */
export class KernelScope {
  /**
   * Called after each inner kernel with its wall time, for profiles (tf.profile only sees the outer
   * kernel). Unset by default.
   */
  static onKernel: ((name: string, ms: number) => void) | undefined;

  private readonly temps: TensorInfo[] = [];

  constructor(readonly backend: KernelBackend) {}

  /** Runs kernel `name` on the wasm backend; the result is freed by {@link dispose} unless kept. */
  run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const config = getKernel(name, "wasm");
    if (config === undefined) throw new Error(`Kernel '${name}' not registered for backend 'wasm'`);
    const hook = KernelScope.onKernel;
    const t0 = hook ? performance.now() : 0;
    const out = config.kernelFunc({ inputs, attrs, backend: this.backend });
    if (hook) hook(name, performance.now() - t0);
    if (Array.isArray(out)) throw new Error(`kernel ${name} returned several outputs`);
    this.temps.push(out);
    return out;
  }

  /** Shorthand for the Reshape kernel (shares the data, no copy). */
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }

  /** Shorthand for the Transpose kernel. */
  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run("Transpose", { x }, { perm });
  }

  /**
   * Slice with `begin`/`size` per axis. For float32 this copies straight out of the wasm heap:
   * wasm's Slice kernel first copies its whole input out of the heap (`readSync`), which costs more
   * than the slice itself when the kernels here take a part of a large tensor. One `set` per
   * innermost contiguous run (the trailing axes taken whole are merged into it): a memory copy,
   * not an arithmetic loop.
   */
  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (x.dtype !== "float32") return this.run("Slice", { x }, { begin, size });
    const shape = x.shape;
    const wasm = this.backend as unknown as WasmHeapAccess;
    const out = wasm.makeOutput(size, "float32");
    this.temps.push(out);
    // Views taken after makeOutput, which may grow (and so detach) the heap.
    const src = wasm.typedArrayFromHeap(x);
    const dst = wasm.typedArrayFromHeap(out);
    const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    let k = shape.length - 1;
    let run = 1;
    while (k >= 0 && size[k] === shape[k]) run *= size[k--]!;
    if (k < 0 || dst.length === 0) {
      dst.set(src.subarray(0, dst.length));
      return out;
    }
    run *= size[k]!;
    const idx = new Array<number>(k).fill(0);
    for (let o = 0; o < dst.length; o += run) {
      let off = begin[k]! * strides[k]!;
      for (let i = 0; i < k; i++) off += (begin[i]! + idx[i]!) * strides[i]!;
      dst.set(src.subarray(off, off + run), o);
      for (let i = k - 1; i >= 0 && ++idx[i]! === size[i]; i--) idx[i] = 0;
    }
    return out;
  }

  /**
   * Every `sh`-th row and `sw`-th column of an NHWC float32 tensor, starting at 0: `[n, oh, ow, c]`
   * (a 1x1 strided conv's input pixels). One `set` of c values per pixel out of the heap; wasm's
   * StridedSlice runs an element loop (~40x slower on a ResNet-50 shortcut's input).
   */
  pickPixels(x: TensorInfo, oh: number, ow: number, sh: number, sw: number): TensorInfo {
    const [n = 1, h = 1, w = 1, c = 1] = x.shape;
    if ((oh - 1) * sh >= h || (ow - 1) * sw >= w)
      throw new Error(`pickPixels: ${oh}x${ow} stride ${sh}x${sw} exceeds ${h}x${w}`);
    const wasm = this.backend as unknown as WasmHeapAccess;
    const out = wasm.makeOutput([n, oh, ow, c], "float32");
    this.temps.push(out);
    const src = wasm.typedArrayFromHeap(x);
    const dst = wasm.typedArrayFromHeap(out);
    let o = 0;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < oh; i++) {
        const row = (b * h + i * sh) * w;
        for (let j = 0; j < ow; j++, o += c) {
          const off = (row + j * sw) * c;
          dst.set(src.subarray(off, off + c), o);
        }
      }
    }
    return out;
  }

  /**
   * Pads (positive) or crops (negative) each axis by `[before, after]`, so callers can express
   * "this much border" without caring about the sign.
   */
  padOrCrop(x: TensorInfo, pads: [number, number][]): TensorInfo {
    let t = x;
    if (pads.some(([a, b]) => a < 0 || b < 0)) {
      const begin = pads.map(([a]) => Math.max(0, -a));
      const size = pads.map(([a, b], i) => (x.shape[i] ?? 0) - Math.max(0, -a) - Math.max(0, -b));
      t = this.slice(t, begin, size);
    }
    if (pads.some(([a, b]) => a > 0 || b > 0)) {
      const paddings = pads.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]);
      t = this.run("PadV2", { x: t }, { paddings, constantValue: 0 });
    }
    return t;
  }

  /** A float32 constant, freed with the other intermediates. */
  constant(values: Float32Array, shape: number[]): TensorInfo {
    const wasm = this.backend as unknown as WasmHeapAccess;
    const t = wasm.makeOutput(shape, "float32");
    this.temps.push(t);
    wasm.typedArrayFromHeap(t).set(values);
    return t;
  }

  /**
   * Reverses the order of the first axis of `x` (`[T, ...]`). wasm's Reverse and GatherV2 kernels
   * are scalar loops (~20x slower than a copy): block copies in the fused module where it is
   * loaded, else a product with the [T,T] anti-diagonal permutation matrix on XNNPACK's GEMM (exact:
   * each output is one value times 1; but XNNPACK packs the whole of `x` first).
   */
  reverseFirstAxis(x: TensorInfo): TensorInfo {
    // The fused module copies the blocks in reverse order (native/fused.c, reverse_blocks).
    if (x.dtype === "float32" && getKernel(FusedKernel.reverseBlocks, "wasm") !== undefined)
      return this.run(FusedKernel.reverseBlocks, { x });
    const t = x.shape[0] ?? 1;
    const rest = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const p = new Float32Array(t * t);
    for (let i = 0; i < t; i++) p[i * t + (t - 1 - i)] = 1;
    const flipped = this.run(
      "BatchMatMul",
      { a: this.constant(p, [1, t, t]), b: this.reshape(x, [1, t, rest]) },
      {
        transposeA: false,
        transposeB: false,
      },
    );
    return this.reshape(flipped, x.shape);
  }

  /**
   * a [m,k] times b [k,n] (also [1,m,k] x [1,k,n]); with `transposeA`, a is given as [k,m]. The
   * fused module's GEMM where it is loaded; else XNNPACK's (BatchMatMul), which packs `b` on every
   * call and takes only untransposed operands at speed (so `a` is transposed first).
   */
  matMul(a: TensorInfo, b: TensorInfo, transposeA = false): TensorInfo {
    const [m, k] = transposeA ? [a.shape.at(-1)!, a.shape.at(-2)!] : [a.shape.at(-2)!, a.shape.at(-1)!];
    const n = b.shape.at(-1)!;
    const a2 = this.reshape(a, transposeA ? [k, m] : [m, k]);
    if (a.dtype === "float32" && b.dtype === "float32" && getKernel(FusedKernel.gemm, "wasm") !== undefined)
      return this.run(FusedKernel.gemm, { a: a2, b: this.reshape(b, [k, n]) }, { transposeA });
    const out = this.run(
      "BatchMatMul",
      { a: this.reshape(transposeA ? this.transpose(a2, [1, 0]) : a2, [1, m, k]), b: this.reshape(b, [1, k, n]) },
      { transposeA: false, transposeB: false },
    );
    return this.reshape(out, [m, n]);
  }

  /** Exempts `t` from {@link dispose} (the kernel's result). */
  keep(t: TensorInfo): TensorInfo {
    const i = this.temps.lastIndexOf(t);
    if (i >= 0) this.temps.splice(i, 1);
    return t;
  }

  /** Frees `t` now (an intermediate no longer needed: keeps the heap small inside a loop). */
  release(t: TensorInfo): void {
    const i = this.temps.lastIndexOf(t);
    if (i < 0) return;
    this.temps.splice(i, 1);
    this.backend.disposeData(t.dataId);
  }

  /** Frees every intermediate result not kept. */
  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** Runs `body` with a fresh scope and frees its intermediates, also when it throws. */
export function withScope<T extends TensorInfo | null>(backend: KernelBackend, body: (s: KernelScope) => T): T {
  const s = new KernelScope(backend);
  try {
    const out = body(s);
    if (out !== null) s.keep(out);
    return out;
  } finally {
    s.dispose();
  }
}
