/**
 * `tessera run` as a child process: what the local sweep executor and the queue worker share.
 * A child has its own process group, so a terminal's Ctrl-C reaches only the parent, which
 * forwards exactly one SIGINT (two would make a child quit without its resume point). It keeps an
 * IPC channel to the parent and stops at its next batch when that closes — which is what happens
 * when the parent is killed, even by SIGKILL — so no run goes on unwatched. It writes nothing until
 * the parent has recorded its pid (handshake.ts), so a restarted parent can find, and wait for,
 * every child that could be writing a run folder.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RUN_FILES, type RunMeta } from "@tessera/shared";
import { processAlive, readEvents } from "../runs";
import { handshakeEnv, readChildPid, recordChild } from "./handshake";

/** The installed bin: registers tsx itself, so a child needs no loader flags. */
const BIN = fileURLToPath(new URL("../../bin/tessera.js", import.meta.url));

/** How a child `tessera run` ended, read from its run folder (the folder is the truth). */
export interface ChildOutcome {
  status: "finished" | "stopped_early" | "interrupted" | "failed";
  /** For failed: the run's `run_failed` error, or the process's last words. */
  error: string | null;
}

/** A started child; `exited` resolves once it is gone (it never rejects). */
export interface RunChild {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>;
}

/**
 * Starts `tessera <args>` with stderr appended to `logFile` and its pid written beside it (so a
 * restarted parent can wait for a child its dead predecessor left behind).
 */
export function spawnRun(opts: {
  args: string[];
  logFile: string;
  env?: Record<string, string>;
  cwd?: string;
}): RunChild {
  const log = openSync(opts.logFile, "a");
  const handshake = handshakeEnv(`${opts.logFile}.pid`);
  const child = spawn(process.execPath, [BIN, ...opts.args], {
    stdio: ["ignore", "ignore", log, "ipc"],
    detached: true,
    // Node drops NODE_CHANNEL_FD from a child's environment, so `run` needs its own marker to
    // notice a parent that died before its disconnect handler existed.
    env: { ...process.env, ...opts.env, ...handshake.env, TESSERA_SWEEP_IPC: "1" },
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  // The child starts its run only once it reads this record (see handshake.ts for why).
  if (child.pid !== undefined) recordChild(`${opts.logFile}.pid`, child.pid, handshake.token);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((done) => {
    let closed = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (!closed) closeSync(log);
      closed = true;
      done({ code, signal, ...(error ? { error } : {}) });
    };
    child.once("error", (error) => finish(null, null, error));
    child.once("exit", (code, signal) => finish(code, signal));
  });
  return { child, exited };
}

/** Reads how the run in `runDir` ended; the exit code only breaks ties. */
export function runOutcome(
  run: { runDir: string; logFile: string },
  code: number | null,
  signal: NodeJS.Signals | null,
  stopping: boolean,
  spawnError?: Error,
): ChildOutcome {
  if (spawnError) return { status: "failed", error: `could not start tessera run: ${spawnError.message}` };
  const metaFile = join(run.runDir, RUN_FILES.meta);
  const meta = existsSync(metaFile) ? (JSON.parse(readFileSync(metaFile, "utf8")) as RunMeta) : null;
  // The folder decides: a run that finished just before a Ctrl-C reached its process (which then
  // died of the signal, its handler already gone) is finished, whatever the exit code says.
  if (meta?.status === "finished") return { status: "finished", error: null };
  if (meta?.status === "stopped_early") return { status: "stopped_early", error: null };
  if (meta?.status === "interrupted" || code === 130 || (stopping && signal !== null))
    return { status: "interrupted", error: null };
  const failed = meta ? readEvents(run.runDir, () => undefined).findLast((e) => e.type === "run_failed") : undefined;
  const error =
    failed?.type === "run_failed"
      ? failed.error
      : `tessera run exited with ${signal ?? `code ${code}`}: ${lastLines(run.logFile)}`;
  return { status: "failed", error };
}

/** Waits (up to `maxMs`) until the child whose pid lies beside `logFile` is gone; false if it is not. */
export async function waitForChildPid(
  logFile: string,
  maxMs = 300_000,
): Promise<{ pid: number | null; gone: boolean }> {
  const pid = readChildPid(`${logFile}.pid`);
  for (let waited = 0; pid !== null && processAlive(pid) && waited < maxMs; waited += 100)
    await new Promise((r) => setTimeout(r, 100));
  return { pid, gone: pid === null || !processAlive(pid) };
}

function lastLines(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-3).join(" | ");
  } catch {
    return "(no log)";
  }
}
