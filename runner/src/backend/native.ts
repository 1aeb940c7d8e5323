/**
 * The native TensorFlow backends (`@tensorflow/tfjs-node`, `-gpu`): optional dependencies whose
 * install script downloads libtensorflow. Where that download failed the package is present but
 * its native binding is not; we check for the binding before importing, because a failing import
 * still registers hundreds of kernels and warns about each on a second try.
 */
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

/** The native packages, by backend name. */
export const NATIVE_PACKAGES = {
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
  tensorflow: "@tensorflow/tfjs-node",
} as const;

/** The installed version of a package, or null when it is not installed. */
export function packageVersion(pkg: string): string | null {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

/** Why a native package cannot load here, or null when its binding is present. */
export function nativeProblem(pkg: string): string | null {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return `${pkg} is not installed`;
  }
  const lib = path.join(dir, "lib");
  const found =
    existsSync(lib) &&
    readdirSync(lib).some((d) => d.startsWith("napi-v") && existsSync(path.join(lib, d, "tfjs_binding.node")));
  return found ? null : `${pkg} is installed but its native binding (libtensorflow) is missing`;
}

/** How to get a native backend working. */
export function nativeInstallHint(pkg: string): string {
  return (
    `install it on a machine with internet access: \`pnpm --filter @tessera/runner add ${pkg}\` ` +
    `(its install script downloads libtensorflow${pkg.endsWith("-gpu") ? " and needs CUDA/cuDNN" : ""}; ` +
    `pnpm 10 runs it only for packages listed in onlyBuiltDependencies), or use --backend wasm`
  );
}

/** Imports a native package (registers the `tensorflow` backend); throws the problem otherwise. */
export async function importNative(pkg: string): Promise<void> {
  const problem = nativeProblem(pkg);
  if (problem) throw new Error(problem);
  await import(/* @vite-ignore */ pkg);
}

/**
 * Why a started `tensorflow` backend from tfjs-node-gpu is not on a GPU, or null when it is.
 * libtensorflow falls back to the CPU without a word when the CUDA/cuDNN libraries or a CUDA
 * device are missing; the binding's `isUsingGpuDevice` is the only place that says so.
 */
export function notOnGpu(backendInstance: unknown): string | null {
  const flag = (backendInstance as { isUsingGpuDevice?: unknown } | null)?.isUsingGpuDevice;
  if (flag === true) return null;
  if (flag === false)
    return "TensorFlow sees no GPU (the CUDA/cuDNN libraries or a CUDA device are missing), so it would run on the CPU";
  return "cannot confirm TensorFlow is on a GPU (its backend does not report isUsingGpuDevice)";
}
