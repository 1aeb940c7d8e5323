/** What meta.json records about the machine and software a run used: versions, git commit, host. */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));

/** Packages whose versions decide a run's numbers. */
const VERSIONED = [
  "@tensorflow/tfjs-core",
  "@tensorflow/tfjs-layers",
  "@tensorflow/tfjs-backend-cpu",
  "@tensorflow/tfjs-backend-wasm",
  "sharp",
] as const;

/** The version in the package.json above a resolved entry point (many packages don't export `./package.json`). */
function packageVersion(name: string): string | null {
  try {
    let dir = dirname(require.resolve(name));
    for (let i = 0; i < 6; i++, dir = dirname(dir)) {
      const file = join(dir, "package.json");
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    }
  } catch {
    // not installed: left out
  }
  return null;
}

let cachedVersions: Record<string, string> | null = null;

/** `{ node, "@tensorflow/tfjs-core": "4.22.0", ... }` for what is installed. */
export function packageVersions(): Record<string, string> {
  if (cachedVersions) return cachedVersions;
  const versions: Record<string, string> = { node: process.versions.node };
  try {
    const own = JSON.parse(readFileSync(join(HERE, "..", "..", "package.json"), "utf8")) as { version?: string };
    if (own.version) versions["@tessera/runner"] = own.version;
  } catch {
    // running from an unusual layout: left out
  }
  for (const name of VERSIONED) {
    const version = packageVersion(name);
    if (version) versions[name] = version;
  }
  cachedVersions = versions;
  return versions;
}

/** `git rev-parse HEAD` of the working directory's repository, or null outside git. */
export function gitCommit(cwd: string = process.cwd()): string | null {
  try {
    const out = execFileSync("git", ["rev-parse", "HEAD"], { cwd, stdio: ["ignore", "pipe", "ignore"], timeout: 5000 });
    const sha = out.toString().trim();
    return /^[0-9a-f]{40}$/.test(sha) ? sha : null;
  } catch {
    return null;
  }
}

/** The host name recorded in meta.json and the lock file. */
export function hostName(): string {
  return hostname();
}
