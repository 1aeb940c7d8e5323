/**
 * What a worker knows the server has of one run: the last acknowledged event seq and the files it
 * uploaded (by sha256). Kept in the worker's state dir, never in the run folder (which must stay
 * identical to a local run's): the run's events.jsonl itself is the disk buffer, and this file only
 * says how far into it the server is, so a restarted worker replays from there.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeJsonAtomic } from "../runs/atomic";

export interface SyncState {
  format: 1;
  runId: string;
  /** The server's last seq as it last said; -1 before the first ack. */
  ackedSeq: number;
  /** relpath -> sha256 of what the server holds. */
  files: Record<string, string>;
}

/** `<stateDir>/ingest/<runId>.json` */
export function stateFile(stateDir: string, runId: string): string {
  return join(stateDir, "ingest", `${runId}.json`);
}

/** The saved state, or a fresh one (nothing acked) when there is none or it is unreadable. */
export function loadState(stateDir: string, runId: string): SyncState {
  try {
    const s = JSON.parse(readFileSync(stateFile(stateDir, runId), "utf8")) as SyncState;
    if (s.format === 1 && s.runId === runId && Number.isInteger(s.ackedSeq) && typeof s.files === "object") return s;
  } catch {
    // absent or damaged: the claim's answer tells us where the server stands anyway
  }
  return { format: 1, runId, ackedSeq: -1, files: {} };
}

/** Saves the state atomically (a crash leaves the old or the new one). */
export function saveState(stateDir: string, state: SyncState): void {
  mkdirSync(join(stateDir, "ingest"), { recursive: true });
  writeJsonAtomic(stateFile(stateDir, state.runId), state);
}
