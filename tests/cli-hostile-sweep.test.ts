/**
 * The malformed-input sweep (issue 15): every CLI command, on the invalid config fixtures and on
 * hostile paths (/dev/zero, a FIFO, a folder, a missing file, a binary file, a `..` path), exits
 * 1 or 2 with a message — no stack trace, no "unexpected error", no hang, and never a line of a
 * file it should not have read. Nothing here trains: every input fails before training starts.
 * Invocations run two at a time (each CLI start costs 1-2 s of tsx on a shared machine).
 */
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/paths";

const BIN = join(REPO_ROOT, "runner", "src", "cli", "bin.ts");
const INVALID = join(REPO_ROOT, "tests", "fixtures", "configs", "invalid");
const VALID = join(REPO_ROOT, "tests", "fixtures", "configs", "valid", "minimal.yaml");
const PER_CALL_MS = 90_000;

interface Outcome {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function tessera(args: string[], cwd: string, env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", BIN, ...args], {
      cwd,
      env: { ...process.env, ...env, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, PER_CALL_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ args, code, stdout, stderr, timedOut });
    });
  });
}

/** Runs `cases` with at most `limit` at a time, keeping their order. */
async function pool<T, R>(cases: T[], limit: number, run: (c: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      out[i] = await run(cases[i]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

/** Why an outcome is not a clean refusal, or null. */
function problem(o: Outcome): string | null {
  const all = `${o.stdout}\n${o.stderr}`;
  if (o.timedOut) return `no answer within ${PER_CALL_MS / 1000} s`;
  if (o.code !== 1 && o.code !== 2) return `exit ${o.code}`;
  if (/^\s+at .+[(:]\d+/m.test(all)) return "a stack trace";
  if (/unexpected error/i.test(all)) return '"unexpected error"';
  if (/root:x:0:0|daemon:x:/.test(all)) return "a line of /etc/passwd";
  if (o.stderr.trim() === "" && o.stdout.trim() === "") return "no message at all";
  return null;
}

describe("malformed-input sweep over every CLI command", () => {
  const scratch = mkdtempSync(join(tmpdir(), "tessera-sweep-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it(
    "refuses every hostile input with exit 1 or 2 and a message, never a stack trace",
    { timeout: 900_000 },
    async () => {
      const fifo = join(scratch, "pipe.yaml");
      execFileSync("mkfifo", [fifo]);
      const folder = join(scratch, "folder.yaml");
      mkdirSync(folder);
      const binary = join(scratch, "binary.yaml");
      writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 0xff, 0xfe, 0, 0]));
      const missing = join(scratch, "missing.yaml");
      const dotdot = join(scratch, "..", "..", "..", "..", "..", "..", "etc", "passwd");
      const runs = join(scratch, "runs");
      // A run folder whose files are damaged: meta.json is not JSON, events.jsonl is binary.
      const damaged = join(runs, "20260101-000000-damaged-abcd");
      mkdirSync(damaged, { recursive: true });
      writeFileSync(join(damaged, "meta.json"), "{ not json");
      writeFileSync(join(damaged, "events.jsonl"), Buffer.from([0, 1, 2, 0xff]));
      const out = join(scratch, "out");
      const invalid = readdirSync(INVALID)
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => join(INVALID, f));

      const cases: string[][] = [
        ["validate", ...invalid],
        ["validate", "/dev/zero"],
        ["validate", fifo],
        ["validate", folder],
        ["validate", missing],
        ["validate", binary],
        ["validate", dotdot],
        ["plan", "/dev/zero"],
        ["plan", fifo],
        ["plan", join(INVALID, "extends-cycle-a.yaml")],
        ["plan", VALID, "--set", "__proto__.polluted=1"],
        ["plan", VALID, "--set", "train.batch_size"],
        ["run", "/dev/zero"],
        ["run", fifo],
        ["run", join(INVALID, "many-problems-at-once.yaml")],
        ["run", "--resume", "../../etc"],
        ["lr-find", folder],
        ["lr-find", binary],
        ["eval", "/dev/zero"],
        ["eval", damaged, "--data", fifo],
        ["predict", folder, binary],
        ["predict", damaged, "/dev/zero"],
        ["export", fifo, "--out", out],
        ["export", dotdot, "--out", out],
        ["ls", "--runs-dir", "/dev/zero"],
        ["ls", "--runs-dir", binary],
        ["show", damaged],
        ["show", "../../etc"],
        ["rm", missing],
        ["rm", folder],
        ["diff", fifo, VALID],
        ["diff", "/dev/zero", VALID],
        ["diff", binary, dotdot],
        ["report", "/dev/zero"],
        ["report", damaged, "--out", "/dev/zero"],
        ["dashboard", "--port", "99999"],
        ["dashboard", "--host", "0.0.0.0", "--token", ""],
        ["data", "preview", fifo, "--out", join(scratch, "p.png")],
        ["data", "fetch", "../../etc/passwd", "--to", folder],
        ["weights", "fetch", "../../etc/passwd"],
        ["weights", "fetch", "/dev/zero"],
      ];
      const env = { TESSERA_RUNS_DIR: runs, TESSERA_CACHE_DIR: join(scratch, "cache"), TESSERA_TOKEN: "" };
      // From the repo root, where `--import tsx` resolves; the run store and caches are in scratch.
      const outcomes = await pool(cases, 2, (args) => tessera(args, REPO_ROOT, env));
      const bad = outcomes
        .map((o) => ({ o, why: problem(o) }))
        .filter((x) => x.why !== null)
        .map(({ o, why }) => `tessera ${o.args.join(" ").slice(0, 120)}: ${why}\n${o.stderr.slice(0, 600)}`);
      if (process.env.SWEEP_VERBOSE === "1")
        for (const o of outcomes)
          console.info(
            `${o.code} tessera ${o.args.join(" ").slice(0, 100)}\n  ${o.stderr.trim().split("\n").slice(0, 3).join("\n  ")}`,
          );
      expect(bad).toEqual([]);
      expect(outcomes).toHaveLength(cases.length);
    },
  );
});
