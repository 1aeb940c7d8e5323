/**
 * Validates a config file with the runner's own `tessera validate --json`, in a child process:
 * the dashboard shows exactly what the CLI prints (file:line:col problems) without bundling the
 * runner's Ajv/TypeBox code into the Next server.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { configsDir } from "./paths";

export interface ValidationResult {
  ok: boolean;
  /** Formatted `file:line:col  path: problem` lines (or the CLI's message). */
  problems: string[];
}

/** The repository root: `TESSERA_REPO_ROOT` (set by `tessera dashboard`) or the nearest workspace above cwd. */
export function repoRoot(): string {
  if (process.env.TESSERA_REPO_ROOT) return process.env.TESSERA_REPO_ROOT;
  let dir = process.cwd();
  while (!existsSync(join(dir, "pnpm-workspace.yaml")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Pulls problem lines out of whatever JSON document `validate --json` printed. */
function problemsOf(doc: unknown): string[] {
  if (typeof doc === "string") return [doc];
  if (Array.isArray(doc)) return doc.flatMap(problemsOf);
  if (doc && typeof doc === "object") {
    const o = doc as Record<string, unknown>;
    for (const key of ["problems", "errors", "results", "files"]) if (key in o) return problemsOf(o[key]);
    if (typeof o.message === "string") {
      const where = [o.file, o.line, o.col].filter((v) => v !== undefined && v !== null).join(":");
      return [`${where ? `${where}  ` : ""}${o.path ? `${String(o.path)}: ` : ""}${o.message}`];
    }
  }
  return [];
}

function configRoots(): string {
  return [configsDir(), process.env.TESSERA_CONFIG_ROOTS].filter(Boolean).join(delimiter);
}

/** Runs the CLI's validation on one file (already resolved inside the configs folder). */
export function validateConfigFile(file: string): Promise<ValidationResult> {
  const root = repoRoot();
  const tsx = join(root, "node_modules", ".bin", "tsx");
  return new Promise((resolve) => {
    execFile(
      tsx,
      [join(root, "runner", "src", "cli", "bin.ts"), "validate", file, "--json"],
      // Bases may come from anywhere in the configs folder (`sub/x.yaml` extending `../base.yaml`),
      // and from nowhere else the server's own environment does not already allow.
      { cwd: root, timeout: 60_000, maxBuffer: 4 << 20, env: { ...process.env, TESSERA_CONFIG_ROOTS: configRoots() } },
      (error, stdout, stderr) => {
        let problems: string[] = [];
        try {
          problems = problemsOf(JSON.parse(stdout));
        } catch {
          // no JSON: the CLI failed before validating; show what it said
        }
        if (!error) return resolve({ ok: true, problems });
        if (problems.length === 0) problems = stderr.trim().split("\n").filter(Boolean);
        resolve({ ok: false, problems: problems.length ? problems : [`validate failed: ${error.message}`] });
      },
    );
  });
}
