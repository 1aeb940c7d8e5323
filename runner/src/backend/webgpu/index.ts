/**
 * The `webgpu` backend in Node: Google's Dawn (npm `webgpu`, prebuilt, no download at install)
 * gives Node a `navigator.gpu`, and `@tensorflow/tfjs-backend-webgpu` runs on it. On a real GPU
 * that is Vulkan/Metal/D3D12 with no CUDA toolkit; on a CPU Vulkan driver (Mesa lavapipe) it
 * runs the very same shaders, which is how CI tests this path.
 *
 * What this module adds over importing the backend:
 * - it creates the device itself, asking for the adapter's higher storage-buffer limit (the
 *   default of 8 per stage breaks AddN with more than 7 inputs), and registers the backend with it;
 * - it replaces AddN with a chunked version, so no input count can exceed the device limit;
 * - it turns any uncaptured WebGPU validation error, which Dawn only prints, into an exception
 *   on the next tensor read, so a run or test fails loudly instead of training on garbage;
 * - it records the adapter (vendor, architecture, device, driver) for the run's meta, and says
 *   when it is software (llvmpipe, lavapipe, SwiftShader: see software.ts) so `auto` can skip it;
 * - it finds the adapter in a child process first (probe.ts), so Dawn's own warnings stay off the
 *   terminal unless asked for, and `auto` never loads Dawn for an adapter it will not use;
 * - `releaseWebgpu()` destroys the device and drops `navigator.gpu` so Node can exit.
 */
import * as tf from "@tensorflow/tfjs-core";
import { registerChunkedAddN } from "./addn";
import { probeAdapter } from "./probe";
import { adapterVendor, chooseAdapter, softwareAdapter } from "./software";

export interface WebgpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Dawn's own flag; false for llvmpipe on the OpenGL path, so see `software`. */
  isFallbackAdapter: boolean;
  /** The software rasteriser behind this adapter (`llvmpipe`, `lavapipe`, ...), or null for a GPU. */
  software: string | null;
  /** Dawn's driver path: `vulkan` (or the platform default) or `opengl`. */
  driver: "default" | "opengl";
  maxStorageBuffersPerShaderStage: number;
}

export interface PrepareWebgpuOptions {
  /** Accept a software (CPU) adapter such as lavapipe or llvmpipe. `auto` passes false. @default true */
  allowFallback?: boolean;
  /** Try Dawn's OpenGL path (EGL, surfaceless) when no Vulkan adapter is found. @default true */
  openglFallback?: boolean;
  /** Where Dawn's own messages from the adapter probe go (--verbose); dropped by default. */
  onDawnOutput?: (text: string) => void;
}

/** Raised when WebGPU is missing or unusable; the message says what is missing. */
export class WebgpuUnavailableError extends Error {
  override name = "WebgpuUnavailableError";
}

/** Raised when the only adapter is a software one and software was not allowed. */
export class WebgpuSoftwareAdapterError extends WebgpuUnavailableError {
  override name = "WebgpuSoftwareAdapterError";
  constructor(readonly software: string) {
    super(`only a software adapter (${software})`);
  }
}

/** Raised on the first tensor read after Dawn reported a validation error. */
export class WebgpuValidationError extends Error {
  override name = "WebgpuValidationError";
}

interface DawnModule {
  create(flags: string[]): GPULike;
  globals: Record<string, unknown>;
}
interface GPULike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info: Omit<WebgpuAdapterInfo, "driver" | "maxStorageBuffersPerShaderStage">;
  limits: Record<string, number>;
  features: Set<string>;
  requestDevice(descriptor: Record<string, unknown>): Promise<DeviceLike>;
}
interface DeviceLike {
  destroy(): void;
  onuncapturederror: ((event: { error: { message: string } }) => void) | null;
}

let active: { device: DeviceLike; info: WebgpuAdapterInfo } | null = null;
const pendingErrors: string[] = [];

async function loadDawn(): Promise<DawnModule> {
  try {
    return (await import("webgpu")) as unknown as DawnModule;
  } catch (error) {
    throw new WebgpuUnavailableError(
      `the webgpu backend needs the optional npm package 'webgpu' (Dawn), which failed to load: ${(error as Error).message}. ` +
        "Install it with `pnpm --filter @tessera/runner add webgpu@0.6.2`.",
    );
  }
}

/** Opens the adapter on the Dawn path the probe found it on (no Vulkan attempt for an OpenGL one). */
async function openAdapter(dawn: DawnModule, driver: "default" | "opengl") {
  if (driver === "default") {
    const gpu = dawn.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    return adapter ? { gpu, adapter, driver } : null;
  }
  process.env.EGL_PLATFORM ??= "surfaceless";
  const gpu = dawn.create(["backend=opengl"]);
  const adapter = await gpu.requestAdapter({ featureLevel: "compatibility" });
  return adapter ? { gpu, adapter, driver } : null;
}

/**
 * Creates the WebGPU device, registers tfjs's `webgpu` backend on it and selects it.
 * Throws WebgpuUnavailableError when there is no package, no adapter, or only a software
 * adapter while `allowFallback` is false.
 */
export async function prepareWebgpuBackend(options: PrepareWebgpuOptions = {}): Promise<WebgpuAdapterInfo> {
  const { allowFallback = true, openglFallback = true } = options;
  if (active) {
    await tf.setBackend("webgpu");
    return active.info;
  }
  const probe = await probeAdapter({ opengl: openglFallback }).catch((error: unknown) => {
    throw new WebgpuUnavailableError((error as Error).message);
  });
  if (probe.stderr) options.onDawnOutput?.(probe.stderr);
  // A real GPU on either path beats a software one (lavapipe on Vulkan, a GPU only through GL).
  const chosen = chooseAdapter(probe.adapters);
  if (!chosen) {
    throw new WebgpuUnavailableError(
      "no WebGPU adapter found: install a GPU driver with Vulkan support (on Debian 12 without a GPU: " +
        "`apt-get install -t bookworm-backports mesa-vulkan-drivers` for the lavapipe CPU driver; Mesa 22 is too old for Dawn)",
    );
  }
  const software = softwareAdapter(chosen.info);
  // Before Dawn is loaded here: a refused adapter costs the training process nothing.
  if (software && !allowFallback) throw new WebgpuSoftwareAdapterError(software);
  const dawn = await loadDawn();
  Object.assign(globalThis, dawn.globals);
  const found = await openAdapter(dawn, chosen.driver);
  if (!found) throw new WebgpuUnavailableError(`the ${chosen.driver} WebGPU adapter the probe found did not open`);
  const { adapter, driver } = found;
  const info: WebgpuAdapterInfo = {
    vendor: adapterVendor(adapter.info),
    architecture: adapter.info.architecture,
    device: adapter.info.device,
    description: adapter.info.description,
    isFallbackAdapter: Boolean(adapter.info.isFallbackAdapter),
    software: softwareAdapter(adapter.info),
    driver,
    maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage ?? 8,
  };

  const limitNames = [
    "maxComputeWorkgroupStorageSize",
    "maxComputeWorkgroupsPerDimension",
    "maxStorageBufferBindingSize",
    "maxBufferSize",
    "maxComputeWorkgroupSizeX",
    "maxComputeInvocationsPerWorkgroup",
    "maxStorageBuffersPerShaderStage",
  ];
  const requiredLimits = Object.fromEntries(limitNames.map((name) => [name, adapter.limits[name]]));
  const requiredFeatures = ["timestamp-query"].filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  device.onuncapturederror = (event) => {
    pendingErrors.push(event.error.message);
  };

  // The backend module checks for `navigator.gpu` when it is first imported.
  Object.defineProperty(globalThis, "navigator", { value: { gpu: found.gpu }, configurable: true, writable: true });
  const { WebGPUBackend } = await import("@tensorflow/tfjs-backend-webgpu");
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
  tf.registerBackend("webgpu", () => {
    const backend = new WebGPUBackend(device as unknown as GPUDevice, adapter.info as unknown as GPUAdapterInfo);
    failOnValidationErrors(backend);
    return backend;
  });
  registerChunkedAddN(Math.max(2, info.maxStorageBuffersPerShaderStage - 1));
  if (!(await tf.setBackend("webgpu")))
    throw new WebgpuUnavailableError("the tfjs webgpu backend failed to initialise");
  active = { device, info };
  return info;
}

/** Makes every tensor read throw once Dawn has reported a validation error. */
function failOnValidationErrors(backend: tf.KernelBackend): void {
  const check = () => {
    if (pendingErrors.length > 0) {
      const messages = pendingErrors.splice(0);
      throw new WebgpuValidationError(
        `WebGPU validation error: ${messages[0]}${messages.length > 1 ? ` (+${messages.length - 1} more)` : ""}`,
      );
    }
  };
  const read = backend.read.bind(backend);
  backend.read = async (dataId) => {
    const values = await read(dataId);
    check();
    return values;
  };
}

/** Throws if Dawn reported a validation error since the last check (for tests). */
export function takeWebgpuErrors(): string[] {
  return pendingErrors.splice(0);
}

/** Destroys the device and removes `navigator.gpu`, so the process can exit. */
export function releaseWebgpu(): void {
  if (!active) return;
  if (tf.getBackend() === "webgpu") tf.setBackend("cpu");
  if (tf.findBackend("webgpu")) tf.removeBackend("webgpu");
  active.device.destroy();
  active = null;
  Reflect.deleteProperty(globalThis, "navigator");
}
