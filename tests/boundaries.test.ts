/**
 * The package boundaries ARCHITECTURE.md draws, checked on the import graph: the dashboard reads
 * runs through `@tessera/shared` and never loads TensorFlow.js, sharp or the runner; the runner
 * reaches the dashboard only through its package name, never by a relative path.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/paths";

const SPEC = /(?:^|[^\w.])(?:from|import)\s*\(?\s*["']([^"']+)["']/g;
const WORKSPACE: Record<string, string> = {
  "@tessera/shared": "shared/src/index.ts",
  "@tessera/shared/runstore": "shared/src/runstore/index.ts",
  "@tessera/shared/epochs": "shared/src/epochs.ts",
  "@tessera/shared/format": "shared/src/format.ts",
  "@tessera/shared/durable": "shared/src/durable.ts",
  "@tessera/shared/ingest": "shared/src/cluster/ingest.ts",
  "@tessera/shared/tokens": "shared/src/cluster/tokens.ts",
  "@tessera/dashboard/serve": "dashboard/serve/index.ts",
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === "node_modules" || d.name === ".next" ? [] : sourceFiles(p);
    return /\.tsx?$/.test(d.name) && !/\.test\.tsx?$/.test(d.name) ? [p] : [];
  });
}

function resolveFile(from: string, spec: string): string | null {
  const base = spec.startsWith("@/") ? join(REPO_ROOT, "dashboard/src", spec.slice(2)) : resolve(dirname(from), spec);
  for (const ext of ["", ".ts", ".tsx", "/index.ts", "/index.tsx"]) {
    if (existsSync(base + ext) && statSync(base + ext).isFile()) return base + ext;
  }
  return null;
}

/** Every bare package the files reach, following relative, `@/` and workspace imports transitively. */
function packagesReached(entries: string[]): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>(); // package -> first file importing it
  const queue = [...entries];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, spec] of readFileSync(file, "utf8").matchAll(SPEC)) {
      if (spec!.startsWith(".") || spec!.startsWith("@/")) {
        const next = resolveFile(file, spec!);
        if (next) queue.push(next);
      } else if (WORKSPACE[spec!]) {
        queue.push(join(REPO_ROOT, WORKSPACE[spec!]!));
      } else if (!spec!.startsWith("node:")) {
        if (!packages.has(spec!)) packages.set(spec!, file);
      }
    }
  }
  return packages;
}

describe("package boundaries", () => {
  it("the dashboard (app and server) never reaches TensorFlow.js, sharp or the runner", () => {
    const reached = packagesReached([
      ...sourceFiles(join(REPO_ROOT, "dashboard/src")),
      ...sourceFiles(join(REPO_ROOT, "dashboard/serve")),
    ]);
    const forbidden = [...reached].filter(([p]) => /^@tensorflow\/|^sharp$|^@tessera\/runner/.test(p));
    expect(forbidden).toEqual([]);
    expect(reached.has("next")).toBe(true); // the walk did reach the app's own packages
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "dashboard/package.json"), "utf8"));
    expect(Object.keys(pkg.dependencies)).not.toContain("@tessera/runner");
  });

  it("the runner imports no dashboard file by a relative path", () => {
    const offenders = sourceFiles(join(REPO_ROOT, "runner/src")).filter((f) =>
      [...readFileSync(f, "utf8").matchAll(SPEC)].some(([, s]) => s!.startsWith(".") && s!.includes("dashboard/")),
    );
    expect(offenders).toEqual([]);
  });

  it("@tessera/runner's one entry point exports the engine API", async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "runner/package.json"), "utf8"));
    expect(pkg.exports).toEqual({ ".": "./src/index.ts" });
    const api = await import("@tessera/runner");
    for (const name of [
      "runExperiment",
      "lrFindExperiment",
      "evalRun",
      "exportRun",
      "predictFiles",
      "createRun",
      "checkConfig",
    ]) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe("function");
    }
  });
});
