/**
 * Picks and prepares the TensorFlow.js backend. `auto` tries, in order: `tensorflow-gpu`
 * (@tensorflow/tfjs-node-gpu, only when TensorFlow really sees a GPU), `tensorflow`
 * (@tensorflow/tfjs-node), `webgpu` (real GPU adapters only: no llvmpipe/lavapipe/SwiftShader),
 * `wasm`, `cpu`; the first that starts wins. A surprising skip (a GPU backend that would have run
 * on the CPU) is said in one line through `onNote`. A backend asked for by name that cannot start
 * fails with an ExitError that says how to get it.
 */
import * as tf from "../tf";
import type { BackendName } from "@tessera/shared";
import { ExitError } from "../errors";
import { writeFileAtomic } from "../runs/atomic";
import { NATIVE_PACKAGES, importNative, nativeInstallHint, notOnGpu, packageVersion } from "./native";

/** What ran, for the run's meta.json and `run_started`. */
export interface BackendInfo {
  /** The tfjs backend name: `tensorflow`, `webgpu`, `wasm` or `cpu`. */
  name: string;
  /** Version of the package that provides it. */
  version: string;
  /** Worker threads, where the backend says (wasm, cpu = 1); null otherwise. */
  threads: number | null;
  /** The GPU, where there is one. */
  device: string | null;
}

/** Options of {@link selectBackend}. */
export interface SelectOptions {
  /** wasm threads (see backend/wasm). @default 1 */
  threads?: number;
  /** One-line notes for the user, e.g. `webgpu: only a software adapter (llvmpipe); using wasm`. */
  onNote?: (line: string) => void;
  /** Show the native libraries' own warnings (Dawn's), which are hidden otherwise. */
  verbose?: boolean;
}

/**
 * The probe `auto` runs costs seconds (the native packages' imports, a child process that opens
 * Dawn's adapters), and a sweep's trials all run on one machine: the first trial that resolves
 * `auto` writes the backend it found to the file in {@link AUTO_BACKEND_FILE_ENV}, and the sweep
 * hands that name to later trials in {@link AUTO_BACKEND_ENV}, which start it directly. A
 * standalone `tessera run` has neither variable and probes as always.
 */
export const AUTO_BACKEND_ENV = "TESSERA_AUTO_BACKEND";
/** Where a process that resolved `auto` by probing writes the backend it found (see AUTO_BACKEND_ENV). */
export const AUTO_BACKEND_FILE_ENV = "TESSERA_AUTO_BACKEND_FILE";

/** The concrete backend `auto` means in this process, when a sweep handed one. */
export function handedBackend(value = process.env[AUTO_BACKEND_ENV]): Concrete | null {
  const name = value?.trim();
  return (AUTO_ORDER as string[]).includes(name ?? "") ? (name as Concrete) : null;
}

function recordResolved(name: Concrete): void {
  const file = process.env[AUTO_BACKEND_FILE_ENV];
  // Best effort: without it the next trial just probes again.
  if (file) {
    try {
      writeFileAtomic(file, `${name}\n`);
    } catch {
      /* the sweep folder is gone or read-only: nothing is lost */
    }
  }
}

/** A candidate that works but should not be picked: `auto` says why in one line and moves on. */
class Unsuitable extends Error {}

type Concrete = Exclude<BackendName, "auto">;

/** The order `auto` tries. */
export const AUTO_ORDER: Concrete[] = ["tensorflow-gpu", "tensorflow", "webgpu", "wasm", "cpu"];

async function start(name: Concrete, auto: boolean, opts: SelectOptions): Promise<BackendInfo> {
  switch (name) {
    case "tensorflow-gpu":
    case "tensorflow": {
      const pkg = NATIVE_PACKAGES[name];
      await importNative(pkg);
      if (!(await tf.setBackend("tensorflow")))
        throw new Error(`${pkg} loaded but the tensorflow backend did not start`);
      // tfjs-node-gpu quietly runs on the CPU when CUDA is missing; never call that `cuda`.
      const cpuOnly = name === "tensorflow-gpu" ? notOnGpu(tf.backend()) : null;
      if (cpuOnly) throw new Unsuitable(cpuOnly);
      return {
        name: "tensorflow",
        version: packageVersion(pkg) ?? "?",
        threads: null,
        device: name === "tensorflow-gpu" ? "cuda" : null,
      };
    }
    case "webgpu": {
      // Loaded on demand: it pulls in Dawn's native module.
      const { prepareWebgpuBackend, WebgpuSoftwareAdapterError } = await import("./webgpu");
      const info = await prepareWebgpuBackend({
        allowFallback: !auto,
        ...(opts.verbose ? { onDawnOutput: (text: string) => process.stderr.write(text) } : {}),
      }).catch((error: unknown) => {
        throw error instanceof WebgpuSoftwareAdapterError ? new Unsuitable(error.message) : error;
      });
      const device = [info.vendor, info.device || info.description].filter(Boolean).join(" ") || "unknown adapter";
      return {
        name: "webgpu",
        version: packageVersion("@tensorflow/tfjs-backend-webgpu") ?? "?",
        threads: null,
        device,
      };
    }
    case "wasm": {
      const { prepareWasmBackend } = await import("./wasm");
      const { threads } = await prepareWasmBackend(opts.threads === undefined ? {} : { threads: opts.threads });
      return { name: "wasm", version: packageVersion("@tensorflow/tfjs-backend-wasm") ?? "?", threads, device: null };
    }
    case "cpu":
      await tf.setBackend("cpu");
      return { name: "cpu", version: packageVersion("@tensorflow/tfjs-backend-cpu") ?? "?", threads: 1, device: null };
  }
}

function installHint(name: Concrete): string {
  switch (name) {
    case "tensorflow-gpu":
    case "tensorflow":
      return nativeInstallHint(NATIVE_PACKAGES[name]);
    case "webgpu":
      return "it needs a GPU with Vulkan/Metal/D3D12 drivers and the `webgpu` package (optional dependency); or use --backend wasm";
    case "wasm":
      return "reinstall @tensorflow/tfjs-backend-wasm (`pnpm install`), or use --backend cpu";
    case "cpu":
      return "reinstall @tensorflow/tfjs-backend-cpu (`pnpm install`)";
  }
}

/**
 * Starts the named backend (or the first that works, for `auto`) and makes it tfjs's active one.
 * @throws ExitError when a named backend cannot start (with how to install it)
 */
export async function selectBackend(name: BackendName, opts: SelectOptions = {}): Promise<BackendInfo> {
  if (name !== "auto") {
    try {
      const info = await start(name, false, opts);
      await tf.ready();
      return info;
    } catch (error) {
      throw new ExitError(`backend "${name}" is not available: ${(error as Error).message}; ${installHint(name)}`);
    }
  }
  const handed = handedBackend();
  if (handed) {
    try {
      const info = await start(handed, true, opts);
      await tf.ready();
      opts.onNote?.(`backend ${handed}: as the sweep resolved \`auto\` (no probe)`);
      return info;
    } catch (error) {
      // Not what the sweep's first trial found (another machine after a resume?): probe after all.
      opts.onNote?.(`the sweep's backend ${handed} did not start here (${(error as Error).message}); probing`);
    }
  }
  const problems: string[] = [];
  const skipped: string[] = [];
  for (const candidate of AUTO_ORDER) {
    try {
      const info = await start(candidate, true, opts);
      await tf.ready();
      for (const why of skipped) opts.onNote?.(`${why}; using ${info.name}`);
      recordResolved(candidate);
      return info;
    } catch (error) {
      problems.push(`${candidate}: ${(error as Error).message}`);
      if (error instanceof Unsuitable) skipped.push(`${candidate}: ${error.message}`);
    }
  }
  throw new ExitError(`no TensorFlow.js backend could start:\n  ${problems.join("\n  ")}`);
}
