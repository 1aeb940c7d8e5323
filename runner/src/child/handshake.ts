/**
 * The start handshake between a parent (a sweep, a queue worker) and each `tessera run` child it
 * spawns (child/run-child.ts). The sweep spawns the
 * child, then records its pid (with a token only that child knows) beside the trial's log; the
 * child writes nothing until it reads its own pid and token there. If the sweep dies between the
 * spawn and that record, the child sees its parent gone first and exits without touching the run
 * folder.
 *
 * Why: `tessera sweep --resume` waits for every child its dead predecessor left running, and it can
 * only find them through those pid files. A child that could start writing before its pid was on
 * disk (the sweep SIGKILLed in that moment) was invisible to the resumed sweep, which then started
 * the same trial again while the orphan was still creating and training in its run folder: two
 * processes writing one run folder in turn, and a trial the resumed sweep recorded as interrupted.
 * Recording the pid before spawning cannot work (there is no pid yet), so the child waits instead.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

/** The environment a trial child gets: where its record will be, its token, and its parent. */
export const HANDSHAKE_ENV = {
  pidFile: "TESSERA_SWEEP_PID_FILE",
  token: "TESSERA_SWEEP_TOKEN",
  parent: "TESSERA_SWEEP_PARENT",
} as const;

/** Sweep side: a fresh token and the environment that tells a child to wait for its record. */
export function handshakeEnv(pidFile: string): { token: string; env: Record<string, string> } {
  const token = randomBytes(8).toString("hex");
  return {
    token,
    env: {
      [HANDSHAKE_ENV.pidFile]: pidFile,
      [HANDSHAKE_ENV.token]: token,
      [HANDSHAKE_ENV.parent]: String(process.pid),
    },
  };
}

/** Sweep side: records a spawned child; from this moment the child may write its run folder. */
export function recordChild(pidFile: string, pid: number, token: string): void {
  writeFileSync(pidFile, `${pid} ${token}\n`);
}

/** The pid a sweep recorded in `pidFile` (either format: `pid` or `pid token`), or null. */
export function readChildPid(pidFile: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Child side: resolves `recorded` once the sweep has recorded this process, `orphaned` if the sweep
 * died before that (its parent pid changed, or its IPC channel closed), and `standalone` for a
 * `tessera run` no sweep started.
 */
export async function awaitRecord(
  env: Record<string, string | undefined> = process.env,
  pollMs = 20,
): Promise<"recorded" | "orphaned" | "standalone"> {
  const pidFile = env[HANDSHAKE_ENV.pidFile];
  const token = env[HANDSHAKE_ENV.token];
  const parent = Number(env[HANDSHAKE_ENV.parent]);
  if (!pidFile || !token || !parent) return "standalone";
  const expected = `${process.pid} ${token}`;
  for (;;) {
    let text = "";
    try {
      text = readFileSync(pidFile, "utf8").trim();
    } catch {
      // not written yet
    }
    if (text === expected) return "recorded";
    // The record check comes first: a sweep that recorded us and then died leaves a child that the
    // resumed sweep knows about and waits for; that child goes on and stops at its next batch.
    if (process.ppid !== parent || (process.channel !== undefined && !process.connected)) return "orphaned";
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
