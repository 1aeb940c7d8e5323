/**
 * Chained tensor ops (`x.square().sum()`), registered for every way this code is loaded.
 *
 * Why hand-written: tfjs-core ships this registration only as ESM files with extensionless,
 * directory imports (`dist/public/chained_ops/*.js`). Bundlers (vitest, Next) load them, plain
 * Node (tsx, i.e. `pnpm tessera`) does not, and its CommonJS build, which Node picks, leaves them
 * out. So code that used a chained op passed its tests and crashed in the CLI. We define the same
 * methods from the exported ops, the way those files do, for every environment alike.
 */
import * as tfc from "@tensorflow/tfjs-core";

type Op = (...args: unknown[]) => tfc.Tensor | tfc.Tensor[] | Record<string, tfc.Tensor>;

/** Methods that are exactly `op(this, ...args)`, named as tfjs-core's chained_ops files name them. */
const SIMPLE = `abs acos acosh add all any argMax argMin asin asinh atan atan2 atanh avgPool batchToSpaceND batchNorm
broadcastTo cast ceil clipByValue conv1d conv2d conv2dTranspose cos cosh cumprod cumsum depthToSpace depthwiseConv2d
dilation2d div divNoNan dot elu equal erf euclideanNorm exp expandDims expm1 fft floor floorDiv gather greater
greaterEqual ifft irfft isFinite isInf isNaN leakyRelu less lessEqual localResponseNormalization log log1p logSigmoid
logSoftmax logSumExp logicalAnd logicalNot logicalOr logicalXor matMul max maxPool maximum mean min minimum mirrorPad
mod mul neg norm notEqual onesLike pad pool pow prelu prod reciprocal relu relu6 reshape resizeBilinear
resizeNearestNeighbor reverse rfft round rsqrt selu separableConv2d sigmoid sign sin sinh slice softmax softplus
spaceToBatchND split sqrt square squaredDifference squeeze step stridedSlice sub sum tan tanh tile topk transpose
unique unsortedSegmentSum unstack zerosLike`.split(/\s+/);

function findOp(name: string): Op | undefined {
  const namespaces = [tfc, tfc.image, tfc.spectral] as unknown as Record<string, unknown>[];
  for (const ns of namespaces) if (typeof ns[name] === "function") return ns[name] as Op;
  return undefined;
}

export function registerChainedOps(): void {
  const proto = tfc.Tensor.prototype as unknown as Record<string, unknown>;
  const define = (name: string, method: (this: tfc.Tensor, ...args: unknown[]) => unknown) => {
    proto[name] = function (this: tfc.Tensor, ...args: unknown[]) {
      this.throwIfDisposed();
      return method.apply(this, args);
    };
  };
  for (const name of SIMPLE) {
    const op = findOp(name);
    if (op)
      define(name, function (this: tfc.Tensor, ...args) {
        return op(this, ...args);
      });
  }
  define("as1D", function () {
    return tfc.reshape(this, [this.size]);
  });
  define("flatten", function () {
    return tfc.reshape(this, [this.size]);
  });
  define("as2D", function (...shape) {
    return tfc.reshape(this, shape as number[]);
  });
  define("as3D", function (...shape) {
    return tfc.reshape(this, shape as number[]);
  });
  define("as4D", function (...shape) {
    return tfc.reshape(this, shape as number[]);
  });
  define("as5D", function (...shape) {
    return tfc.reshape(this, shape as number[]);
  });
  define("asScalar", function () {
    tfc.util.assert(this.size === 1, () => "The array must have only 1 element.");
    return tfc.reshape(this, []);
  });
  define("reshapeAs", function (x) {
    return tfc.reshape(this, (x as tfc.Tensor).shape);
  });
  define("asType", function (dtype) {
    return tfc.cast(this, dtype as tfc.DataType);
  });
  define("toBool", function () {
    return tfc.cast(this, "bool");
  });
  define("toFloat", function () {
    return tfc.cast(this, "float32");
  });
  define("toInt", function () {
    return tfc.cast(this, "int32");
  });
  define("oneHot", function (depth, on = 1, off = 0) {
    return tfc.oneHot(this, depth as number, on as number, off as number);
  });
  define("where", function (condition, x) {
    return tfc.where(condition as tfc.Tensor, this, x as tfc.Tensor);
  });
  define("concat", function (x, axis) {
    const rest = x instanceof tfc.Tensor ? [x] : (x as tfc.Tensor[]);
    return tfc.concat([this, ...rest], axis as number | undefined);
  });
  define("stack", function (x, axis) {
    const rest = x instanceof tfc.Tensor ? [x] : (x as tfc.Tensor[]);
    return tfc.stack([this, ...rest], axis as number | undefined);
  });
}
