/**
 * The training run the browser test watches: the real `tessera run` on a tiny synthetic config,
 * or, when the engine cannot start here, the fixture live writer in a child process (the test
 * says which one it used; `TESSERA_E2E_REQUIRE_REAL=1` forbids the fallback,
 * `TESSERA_E2E_WRITER=fixture` skips the real run).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/paths";

export const TINY_CLASSES = 3;

/** A config small enough to train in seconds on a shared CPU, with an LR-finder stage. */
export const TINY_CONFIG = `name: e2e-tiny
seed: 1
backend: cpu
data:
  source: synthetic
  classes: ${TINY_CLASSES}
  per_class: 12
  image_size: 32
  split: { valid: 0.25, stratify: true }
model:
  backbone: resnet18
  pretrained: none
  width: 0.125
train:
  batch_size: 8
  stages:
    - name: head
      trainable: [head]
      epochs: 1
      size: 32
      lr: { find: true, steps: 20 }
    - name: all
      trainable: all
      epochs: 6
      size: 32
      lr: { min: 3e-4, max: 3e-3 }
`;

export interface LiveRun {
  kind: "real" | "fixture";
  id: string;
  child: ChildProcess;
  stop(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tsx = join(REPO_ROOT, "node_modules", ".bin", "tsx");

function newRunWithEvents(root: string, before: Set<string>): string | null {
  for (const id of readdirSync(root)) {
    if (before.has(id)) continue;
    const events = join(root, id, "events.jsonl");
    if (existsSync(events) && readFileSync(events, "utf8").includes('"type":"epoch"')) return id;
  }
  return null;
}

/** Starts the real run and waits for its first epoch; null (with the reason) if it fails first. */
async function startReal(root: string, dir: string): Promise<LiveRun | { failed: string }> {
  const config = join(dir, "e2e-tiny.yaml");
  writeFileSync(config, TINY_CONFIG);
  const before = new Set(readdirSync(root));
  const child = spawn(tsx, [join(REPO_ROOT, "runner/src/cli/bin.ts"), "run", config, "--runs-dir", root], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  let exited: number | null = null;
  child.on("exit", (code) => (exited = code ?? 1));
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const id = newRunWithEvents(root, before);
    if (id) return { kind: "real", id, child, stop: () => void child.kill("SIGTERM") };
    if (exited !== null) return { failed: `tessera run exited ${exited}: ${stderr.trim().slice(-1500)}` };
    await sleep(250);
  }
  child.kill("SIGKILL");
  return { failed: `tessera run wrote no epoch in 180 s: ${stderr.trim().slice(-1500)}` };
}

/** Starts the watched run: real if it can, else the fixture writer. */
export async function startLiveRun(root: string, scratch: string): Promise<LiveRun> {
  const real =
    process.env.TESSERA_E2E_WRITER === "fixture"
      ? { failed: "TESSERA_E2E_WRITER=fixture" }
      : await startReal(root, scratch);
  if ("kind" in real) return real;
  if (process.env.TESSERA_E2E_REQUIRE_REAL === "1") throw new Error(real.failed);
  console.warn(`e2e: the real training run could not start, watching the fixture live writer instead.\n${real.failed}`);
  const id = "20260102-000000-e2e-live-0001";
  const child = spawn(tsx, [join(REPO_ROOT, "tests/e2e/live-writer.ts"), root, id, String(TINY_CLASSES), "400"], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "inherit", "inherit"],
  });
  while (!existsSync(join(root, id, "events.jsonl"))) await sleep(100);
  return { kind: "fixture", id, child, stop: () => void child.kill("SIGTERM") };
}
