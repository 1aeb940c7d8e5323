/**
 * The system components some tests need (chromium, a WebGPU adapter on Vulkan/Metal/D3D12, the
 * shared Kimia tiles, redis-server, a built better-sqlite3, clang + wasm-ld for the wasm module), found in one place. On a machine without one, its tests skip
 * and say in one line what to install; with `TESSERA_REQUIRE_COMPONENTS=1` (set by .ci/run) a
 * missing component fails instead, so CI cannot silently stop testing something.
 *
 * Hiding a component to see the bare-machine behaviour: `TESSERA_CHROMIUM=/nonexistent` (or a PATH
 * without chromium), `VK_DRIVER_FILES=/tmp/empty.json VK_ICD_FILENAMES=/tmp/empty.json`,
 * `TESSERA_SHARED_DIR=/nonexistent`.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, join } from "node:path";
import { probeAdapter } from "../../runner/src/backend/webgpu/probe";
import { KIMIA_DIR, REPO_ROOT } from "./paths";

/** The components tests can ask for. */
export type Component = "chromium" | "webgpu" | "kimia" | "redis" | "sqlite" | "clang";

/** True where a missing component must fail its tests (CI), not skip them. */
export const REQUIRE_COMPONENTS = process.env.TESSERA_REQUIRE_COMPONENTS === "1";

/** An executable on PATH, or null. */
function onPath(names: string[]): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean))
    for (const name of names) if (existsSync(join(dir, name))) return join(dir, name);
  return null;
}

/** Chromium's path: `TESSERA_CHROMIUM` when set (even if it does not exist), else the first on PATH. */
export function chromiumPath(): string | null {
  const set = process.env.TESSERA_CHROMIUM;
  if (set) return existsSync(set) ? set : null;
  return onPath(["chromium", "chromium-browser", "google-chrome"]);
}

/** What is missing and how to get it, or null when the component is here. */
async function check(component: Component): Promise<string | null> {
  switch (component) {
    case "chromium":
      return chromiumPath()
        ? null
        : `chromium not found (${process.env.TESSERA_CHROMIUM ? `TESSERA_CHROMIUM=${process.env.TESSERA_CHROMIUM}` : "not on PATH"}): apt-get install chromium, or set TESSERA_CHROMIUM`;
    case "webgpu": {
      const probe = await probeAdapter({ opengl: false }).catch((error: unknown) => ({
        adapters: [],
        error: (error as Error).message,
      }));
      if (probe.adapters.length > 0) return null;
      return (
        "no WebGPU adapter on Vulkan/Metal/D3D12" +
        ("error" in probe ? ` (${probe.error})` : "") +
        ": install a GPU driver with Vulkan, or Mesa >= 25's lavapipe (Debian 12: apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1)"
      );
    }
    case "kimia":
      return existsSync(KIMIA_DIR)
        ? null
        : `Kimia Path960 tiles not found at ${KIMIA_DIR}: put the team kit beside the repo as ../shared, or set TESSERA_SHARED_DIR`;
    case "redis":
      return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0
        ? null
        : "redis-server not found: apt-get install redis-server";
    case "clang":
      // runner/src/backend/wasm/native/build.sh: clang and wasm-ld (lld), llvm-objdump (llvm).
      return onPath(["clang"]) && onPath(["wasm-ld"]) && onPath(["llvm-objdump"])
        ? null
        : "clang, wasm-ld or llvm-objdump not found: apt-get install clang lld llvm (Debian 12: clang 14)";
    case "sqlite":
      try {
        // The dashboard's optional dependency; its native part is missing when the build failed.
        const load = createRequire(join(REPO_ROOT, "dashboard", "package.json"));
        const Database = load("better-sqlite3") as new (file: string) => { close(): void };
        new Database(":memory:").close();
        return null;
      } catch (error) {
        return (
          `better-sqlite3 is not built (${(error as Error).message.split("\n")[0]}): with make, g++ and python3, ` +
          "run `npm_config_nodedir=<node's prefix, e.g. /usr> pnpm rebuild better-sqlite3` (its prebuilt download needs GitHub)"
        );
      }
  }
}

const said = new Set<string>();

/**
 * Null when `component` is here. Otherwise: throws under TESSERA_REQUIRE_COMPONENTS=1; else prints
 * `skipped: <what is missing>: <how to install>` once per process and returns that reason, for
 * `describe.skipIf(...)` or `ctx.skip(reason)`.
 */
export async function missingComponent(component: Component, opts: { require?: boolean } = {}): Promise<string | null> {
  const why = await check(component);
  if (why === null) return null;
  if (opts.require ?? REQUIRE_COMPONENTS) throw new Error(`${why} (required: TESSERA_REQUIRE_COMPONENTS=1)`);
  if (!said.has(component)) console.warn(`skipped: ${why}`);
  said.add(component);
  return why;
}
