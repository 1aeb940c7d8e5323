import { backend_util, MaxPoolGrad } from "@tensorflow/tfjs-core";
import type {
  KernelBackend,
  KernelConfig,
  KernelFunc,
  MaxPoolGradAttrs,
  NamedTensorInfoMap,
  TensorInfo,
} from "@tensorflow/tfjs-core";
import { withScope } from "./scope";
import type { KernelScope } from "./scope";

/**
 * dx of a 2-D max pool without a scalar loop. Each dy value goes to the first (row-major) position
 * of its window that holds the window's maximum, as tfjs's cpu backend and wasm's own kernel do,
 * so ties (common after ReLU: windows of zeros) give the same gradient.
 *
 * Window offset (di, dj) sees x at rows oh*s+di: with x padded (by -inf) to qh*s rows, that is
 * phase r = di mod s, shifted a = floor(di/s) rows, of the phase-split x, a plain Slice. For the
 * offsets in row-major order, rem (starting as dy) goes to the offsets holding the maximum and
 * stays 0 after the first, so exactly one offset takes each dy. The parts of the offsets sharing a
 * phase are padded by their shift and added; the s*s phases are interleaved by transposes.
 * About 6 vectorised ops per offset on output-sized tensors, instead of wasm's loop, which for each
 * dx element re-scans every window that holds it (36 reads per element for 3x3 stride 2).
 *
 * wasm's own kernel also disagrees with cpu where a window has several maxima (it is not a first-
 * max rule): after a ReLU, where all-zero windows are common, its gradients differ.
 */
export function maxPoolGrad(
  s: KernelScope,
  dy: TensorInfo,
  x: TensorInfo,
  y: TensorInfo,
  attrs: MaxPoolGradAttrs,
): TensorInfo {
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: n, inChannels: c, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const qh = Math.ceil(Math.max((oh - 1) * sh + fh, top + h) / sh);
  const qw = Math.ceil(Math.max((ow - 1) * sw + fw, left + w) / sw);

  // x padded to [n, qh*sh, qw*sw, c], split into its sh*sw phases [n, qh, qw*c]: a row phase is a
  // Slice of whole rows; the column phases come out contiguous after one transpose. (wasm's Slice
  // copies one innermost run per call in JavaScript, so every slice here keeps its runs long.)
  const xp = s.run(
    "PadV2",
    { x },
    {
      paddings: [
        [0, 0],
        [top, qh * sh - top - h],
        [left, qw * sw - left - w],
        [0, 0],
      ],
      constantValue: -Infinity,
    },
  );
  const rows = s.reshape(xp, [n * qh, sh, qw * sw * c]);
  const rowPhases = new Map<number, TensorInfo>();
  const phaseOf = (r: number, t: number): TensorInfo => {
    if (!rowPhases.has(r)) {
      const row = sh === 1 ? rows : s.slice(rows, [0, r, 0], [n * qh, 1, qw * sw * c]);
      rowPhases.set(r, sw === 1 ? row : s.transpose(s.reshape(row, [n * qh * qw, sw, c]), [1, 0, 2]));
    }
    const cols = rowPhases.get(r)!;
    return s.reshape(sw === 1 ? cols : s.slice(cols, [t, 0, 0], [1, n * qh * qw, c]), [n, qh, qw * c]);
  };
  const xPhases = new Map<number, TensorInfo>();
  const sums = new Map<number, TensorInfo>();
  const yFlat = s.reshape(y, [n, oh, ow * c]);
  let rem = s.reshape(dy, [n, oh, ow * c]);
  for (let di = 0; di < fh; di++) {
    for (let dj = 0; dj < fw; dj++) {
      const [a, r, b, t] = [Math.floor(di / sh), di % sh, Math.floor(dj / sw), dj % sw];
      const p = r * sw + t;
      if (!xPhases.has(p)) xPhases.set(p, phaseOf(r, t));
      const xo = s.slice(xPhases.get(p)!, [0, a, b * c], [n, oh, ow * c]);
      // x <= y in every window, so Step(y - x) is 0 exactly at the maxima and 1 elsewhere; the
      // first offset holding a window's maximum takes all of rem, the later ones see rem = 0.
      const below = s.run("Step", { x: s.run("Sub", { a: yFlat, b: xo }) }, { alpha: 0 });
      const kept = s.run("Multiply", { a: rem, b: below });
      const g = s.run("Sub", { a: rem, b: kept });
      rem = kept;
      // Back to the phase grid [n, qh, qw, c], shifted by (a, b).
      const placed = s.padOrCrop(s.reshape(g, [n, oh, ow, c]), [
        [0, 0],
        [a, qh - oh - a],
        [b, qw - ow - b],
        [0, 0],
      ]);
      const sum = sums.get(p);
      sums.set(p, sum === undefined ? placed : s.run("Add", { a: sum, b: placed }));
    }
  }
  const zeros = () => s.run("Fill", {}, { shape: [n, qh, qw, c], value: 0, dtype: "float32" });
  const phases = Array.from({ length: sh * sw }, (_, p) => sums.get(p) ?? zeros());
  // Phases stacked first, [(r, t), n*qh*qw, c], a contiguous concat; then [r, n*qh*qw, t, c] and
  // [n*qh, r, qw*t*c] = the padded dx [n, qh*sh, qw*sw, c], by two transposes of rank <= 4 (a
  // rank-5 transpose is ~50x slower per element on wasm); then the padding is cropped.
  let dxp = phases[0]!;
  if (phases.length > 1) {
    const stacked = s.run("Concat", phases as unknown as NamedTensorInfoMap, { axis: 0 });
    const cols = s.transpose(s.reshape(stacked, [sh, sw, n * qh * qw, c]), [0, 2, 1, 3]);
    dxp = s.transpose(s.reshape(cols, [sh, n * qh, qw * sw * c]), [1, 0, 2]);
  }
  const dx = s.slice(s.reshape(dxp, [n, qh * sh, qw * sw * c]), [0, top, left * c], [n, h, w * c]);
  return s.reshape(dx, [n, h, w, c]);
}

const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) =>
  withScope(backend as KernelBackend, (s) =>
    maxPoolGrad(s, inputs.dy!, inputs.input!, inputs.output!, attrs as unknown as MaxPoolGradAttrs),
  );

/** Replaces wasm's MaxPoolGrad (a scalar C++ loop) with vectorised wasm kernels. */
export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: "wasm",
  kernelFunc,
};
