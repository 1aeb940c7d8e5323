/**
 * Looks for a WebGPU adapter in a child process. Dawn prints its own warnings ("Couldn't load
 * Vulkan", "vkCreateInstance failed ... /home/runner/work/...", limits "artificially reduced") from
 * native code straight to file descriptor 2, which Node cannot redirect in-process; in a child we
 * capture them and show them only with --verbose. It also means `auto` on a machine with only a
 * software adapter never loads Dawn into the training process at all.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { RawAdapterInfo } from "./software";

/** An adapter the probe found and the Dawn path it came from. */
export interface ProbedAdapter {
  /** `default`: Dawn's native API (Vulkan/Metal/D3D12); `opengl`: its OpenGL (EGL) fallback. */
  driver: "default" | "opengl";
  info: RawAdapterInfo;
}

/** What the probe saw: the adapters, native first, and what Dawn printed meanwhile. */
export interface ProbeResult {
  /** Dawn's preferred native adapter (Vulkan/Metal/D3D12), then its OpenGL one when asked for. */
  adapters: ProbedAdapter[];
  /** Dawn's own output, for --verbose. */
  stderr: string;
}

/** The script the child runs; plain JavaScript, so the child needs no TypeScript loader. */
function probeScript(dawnUrl: string, opengl: boolean): string {
  return `
const dawn = await import(${JSON.stringify(dawnUrl)});
const pick = (a) => ({
  vendor: a.info.vendor ?? "", architecture: a.info.architecture ?? "", device: a.info.device ?? "",
  description: a.info.description ?? "", type: String(a.info.type ?? a.info.adapterType ?? ""),
  isFallbackAdapter: Boolean(a.info.isFallbackAdapter),
});
const found = [];
const native = await dawn.create([]).requestAdapter({ powerPreference: "high-performance" });
if (native) found.push({ driver: "default", info: pick(native) });
if (${opengl}) {
  const gl = await dawn.create(["backend=opengl"]).requestAdapter({ featureLevel: "compatibility" });
  if (gl) found.push({ driver: "opengl", info: pick(gl) });
}
process.stdout.write(JSON.stringify(found));
process.exit(0);
`;
}

/**
 * Asks Dawn, in a child process, for the adapters `prepareWebgpuBackend` chooses from. Rejects when
 * the `webgpu` package cannot be resolved or the child fails (its stderr in the message).
 */
export async function probeAdapter(opts: { opengl: boolean; timeoutMs?: number }): Promise<ProbeResult> {
  const dawnUrl = pathToFileURL(createRequire(import.meta.url).resolve("webgpu")).href;
  const env = { ...process.env, EGL_PLATFORM: process.env.EGL_PLATFORM ?? "surfaceless" };
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", probeScript(dawnUrl, opts.opengl)],
      { env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `the WebGPU adapter probe failed: ${stderr.trim().split("\n").slice(-3).join(" ") || error.message}`,
            ),
          );
          return;
        }
        try {
          resolve({ adapters: JSON.parse(stdout) as ProbedAdapter[], stderr });
        } catch {
          reject(new Error(`the WebGPU adapter probe printed no result: ${stdout.slice(0, 200)}`));
        }
      },
    );
  });
}
