/**
 * How a run ends when its terminal goes away, through the real CLI in a child process: a closed
 * stdout/stderr pipe (`tessera run cfg | head`) must not kill the run (it did, silently, leaving
 * status `running` and a stale lock), and SIGHUP (a closed ssh session) stops it like SIGTERM: at a
 * batch boundary, with a resume point, `run_interrupted` and the lock released.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RUN_FILES, type RunEvent, type RunMeta } from "@tessera/shared";
import { tailEvents } from "../runner/src/runs";
import { REPO_ROOT } from "./helpers/paths";

const CONFIG = `
name: signals
seed: 3
backend: wasm
data: { source: synthetic, classes: 2, per_class: 12, image_size: 32 }
model: { backbone: resnet18, width: 0.125 }
train:
  batch_size: 4
  stages:
    - { name: all, trainable: all, size: 32, epochs: 3, lr: 1e-3 }
`;

function start(): {
  child: ChildProcess;
  runsDir: string;
  exit: Promise<{ code: number | null; signal: string | null }>;
} {
  const dir = mkdtempSync(join(tmpdir(), "tessera-signals-"));
  writeFileSync(join(dir, "c.yaml"), CONFIG);
  const runsDir = join(dir, "runs");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "runner/src/cli/bin.ts"), "run", join(dir, "c.yaml"), "--runs-dir", runsDir],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, runsDir, exit };
}

async function runDirOf(runsDir: string): Promise<string> {
  for (let i = 0; i < 1200; i++) {
    const ids = existsSync(runsDir) ? readdirSync(runsDir) : [];
    if (ids.length === 1 && existsSync(join(runsDir, ids[0]!, RUN_FILES.events))) return join(runsDir, ids[0]!);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no run folder appeared in ${runsDir}`);
}

const readEvents = (runDir: string) =>
  readFileSync(join(runDir, RUN_FILES.events), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as RunEvent);
const readMeta = (runDir: string) => JSON.parse(readFileSync(join(runDir, RUN_FILES.meta), "utf8")) as RunMeta;

describe("a run whose terminal goes away", () => {
  it("keeps training when its stdout and stderr pipes close (tessera run | head)", async () => {
    const { child, runsDir, exit } = start();
    // Close our read ends at the first output: every later progress write meets EPIPE.
    await new Promise<void>((resolve) => child.stderr!.once("data", () => resolve()));
    child.stderr!.destroy();
    child.stdout!.destroy();
    const runDir = await runDirOf(runsDir);
    const { code, signal } = await exit;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(readMeta(runDir).status).toBe("finished");
    expect(readEvents(runDir).at(-1)!.type).toBe("run_finished");
    expect(existsSync(join(runDir, RUN_FILES.lock))).toBe(false);
  });

  it("stops at a batch boundary on SIGHUP, resumable, lock released", async () => {
    const { child, runsDir, exit } = start();
    child.stdout!.resume();
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += String(d)));
    const runDir = await runDirOf(runsDir);
    const controller = new AbortController();
    void exit.then(() => controller.abort());
    for await (const e of tailEvents(runDir, { signal: controller.signal, pollMs: 20 })) {
      if (e.type === "epoch") {
        child.kill("SIGHUP");
        break;
      }
    }
    const { code, signal } = await exit;
    expect({ code, signal }, stderr.slice(-1500)).toEqual({ code: 130, signal: null });
    expect(stderr).toContain("SIGHUP: stopping after this batch");
    expect(readEvents(runDir).at(-1)!.type).toBe("run_interrupted");
    expect(readMeta(runDir).status).toBe("interrupted");
    expect(existsSync(join(runDir, RUN_FILES.lock))).toBe(false);
    expect(stderr).toContain(`tessera run --resume`);
  });
});
