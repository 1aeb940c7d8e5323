/**
 * `RemoteSync`: keeps the central server's copy of one run in step with the local run folder while
 * the run trains. One loop, one request at a time: claim the run, push the events.jsonl lines the
 * server lacks in seq order, upload changed files (checkpoint folders whole), mirror the lock. The
 * local events.jsonl is the disk buffer: with the server down the loop backs off and training goes
 * on untouched; when it returns the loop replays from the acknowledged seq (kept in the worker's
 * state dir), and the server's (run, seq) idempotence makes a replayed line a no-op.
 */
import { existsSync, readFileSync, watch, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import { MAX_EVENTS_PER_BATCH } from "@tessera/shared/ingest";
import { parseLock } from "@tessera/shared/runstore";
import { claim, mirrorLock, pushEvents, type CallResult, type ServerAddress } from "./client";
import { readLines } from "./lines";
import { loadState, saveState, type SyncState } from "./state";
import { checkpointFolders, singleFiles, syncFile, syncFolder } from "./uploads";

/** What `RemoteSync.start` needs. */
export interface RemoteSyncOptions extends ServerAddress {
  runId: string;
  /** The local run folder (`runs/<id>`) that `tessera run` writes. */
  runDir: string;
  /** The worker's own state folder: the acked seq lives here, not in the run folder. */
  stateDir: string;
  /** The queue job this run is, for the server's claim check. @default {jobId: null, attempt: 1} */
  job?: { jobId: string | null; attempt: number };
  /** Upload checkpoint folders as they change (`each`) or only in `stop()` (`end`). @default "each" */
  checkpoints?: "each" | "end";
  /** How often to look for new lines and files. @default 250 */
  pollMs?: number;
  /** Longest wait between tries while the server is unreachable (doubling from 250 ms). @default 5000 */
  maxBackoffMs?: number;
  /** @default stderr */
  log?: (line: string) => void;
  /** Called once if the server refuses this worker for good (run taken over, token revoked): stop training. */
  onRefused?: (message: string) => void;
}

/** Where the sync stands; `offline` keeps retrying, `refused` has stopped. */
export interface SyncStatus {
  state: "claiming" | "syncing" | "offline" | "refused" | "stopped";
  /** The server's last seq. */
  ackedSeq: number;
  /** Seq of the last whole line in the local events.jsonl. */
  localSeq: number;
  lastError: string | null;
}

/** The answer of `flush`/`stop`: `ok` when the server has every local line and file. */
export interface FlushResult {
  ok: boolean;
  status: SyncStatus;
}

/** How a pass ended: all sent (or more to send now), refused for good, server down, or a file to retry later. */
type Pass = { done: boolean } | { fatal: string } | { offline: string } | { retry: string };

export class RemoteSync {
  private readonly opts: Required<Pick<RemoteSyncOptions, "pollMs" | "maxBackoffMs" | "checkpoints">> &
    RemoteSyncOptions;
  private state: SyncState;
  private claimed = false;
  /** Byte offset in events.jsonl just after the line with seq `state.ackedSeq`. */
  private offset = 0;
  private lockText: string | null | undefined = undefined;
  private status: SyncStatus;
  private wake: (() => void) | null = null;
  /** Set by the folder watcher: something changed since the last pass began. */
  private dirty = false;
  private watcher: FSWatcher | null = null;
  private backingOff = false;
  private finalPass = false;
  private stopped = false;
  private passes = 0;
  private lastDone = -1;
  private readonly loop: Promise<void>;

  private constructor(opts: RemoteSyncOptions) {
    this.opts = { pollMs: 250, maxBackoffMs: 5000, checkpoints: "each", ...opts };
    this.state = loadState(opts.stateDir, opts.runId);
    this.status = { state: "claiming", ackedSeq: this.state.ackedSeq, localSeq: -1, lastError: null };
    this.loop = this.run();
  }

  /** Starts syncing `opts.runId` in the background; never blocks on the server. */
  static start(opts: RemoteSyncOptions): RemoteSync {
    return new RemoteSync(opts);
  }

  /** A copy of where the sync stands. */
  get current(): SyncStatus {
    return { ...this.status };
  }

  /** Resolves once a whole pass has found nothing left to send (or after `timeoutMs`). */
  async flush(timeoutMs = 30_000): Promise<FlushResult> {
    const deadline = Date.now() + timeoutMs;
    const after = this.passes;
    this.wake?.();
    while (Date.now() < deadline && !this.stopped && this.status.state !== "refused") {
      if (this.lastDone >= after) return { ok: true, status: this.current };
      await new Promise((r) => setTimeout(r, 20));
    }
    return { ok: this.lastDone >= after, status: this.current };
  }

  /** A last full pass (checkpoints included whatever `checkpoints` says), then stops. */
  async stop(timeoutMs = 60_000): Promise<FlushResult> {
    this.finalPass = true;
    const result = await this.flush(timeoutMs);
    this.stopped = true;
    this.wake?.();
    await this.loop;
    this.watcher?.close();
    if (this.status.state !== "refused") this.status.state = "stopped";
    return { ok: result.ok, status: this.current };
  }

  private log(line: string): void {
    (this.opts.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(`tessera worker: ${this.opts.runId}: ${line}`);
  }

  private async run(): Promise<void> {
    let backoff = 250;
    while (!this.stopped) {
      const pass = this.passes++;
      this.dirty = false;
      this.watchFolder();
      let result: Pass;
      try {
        result = await this.pass();
      } catch (error) {
        result = { offline: `local error: ${(error as Error).message}` };
      }
      if ("fatal" in result) {
        this.watcher?.close();
        this.status = { ...this.status, state: "refused", lastError: result.fatal };
        this.log(`the server refused: ${result.fatal}`);
        this.opts.onRefused?.(result.fatal);
        return;
      }
      if ("retry" in result) {
        if (this.status.lastError !== result.retry) this.log(`${result.retry}; will try again`);
        this.status = { ...this.status, lastError: result.retry };
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
        continue;
      }
      if ("offline" in result) {
        if (this.status.state !== "offline") this.log(`server unreachable, buffering (${result.offline})`);
        this.status = { ...this.status, state: "offline", lastError: result.offline };
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
        continue;
      }
      if (this.status.state === "offline") this.log(`server back; replaying from seq ${this.state.ackedSeq + 1}`);
      backoff = 250;
      this.status = { ...this.status, state: "syncing", lastError: null };
      if (result.done) this.lastDone = pass;
      else continue; // more to send: no pause
      if (!this.dirty) await this.sleep(this.opts.pollMs, true);
    }
  }

  /**
   * Waits `ms`, or less: `flush`/`stop` wake it, and so does a change in the run folder when
   * `onChange` (not while backing off from a down server: a busy run would hammer it).
   */
  private sleep(ms: number, onChange = false): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.backingOff = !onChange;
      this.wake = done;
    });
  }

  /** fs.watch on the run folder wakes the loop at once (a poll every `pollMs` covers its gaps). */
  private watchFolder(): void {
    if (this.watcher || !existsSync(this.opts.runDir)) return;
    try {
      this.watcher = watch(this.opts.runDir, { persistent: false }, () => {
        this.dirty = true;
        if (!this.backingOff) this.wake?.();
      });
      this.watcher.on("error", () => undefined);
    } catch {
      this.watcher = null;
    }
  }

  /** Maps a failed call: unreachable/5xx waits, a conflict is handled by the caller, the rest is final. */
  private failed(r: Exclude<CallResult<unknown>, { ok: true }>, what: string): Pass {
    if (r.kind === "unreachable") return { offline: r.message };
    return { fatal: `${what}: ${r.message}` };
  }

  private async pass(): Promise<Pass> {
    const addr: ServerAddress = this.opts;
    const { runId, runDir } = this.opts;
    if (!this.claimed) {
      const job = this.opts.job ?? { jobId: null, attempt: 1 };
      const r = await claim(addr, { runId, jobId: job.jobId, attempt: job.attempt, worker: addr.worker });
      if (!r.ok) return this.failed(r, "claim");
      this.claimed = true;
      this.status.state = "syncing";
      this.state.ackedSeq = r.value.lastSeq;
      this.state.files = Object.fromEntries(r.value.files.map((f) => [f.path, f.sha256]));
      this.offset = 0;
      saveState(this.opts.stateDir, this.state);
    }
    const events = await this.pushEvents();
    if (events) return events;
    for (const relpath of singleFiles(runDir)) {
      const r = await syncFile(addr, runId, runDir, relpath, this.state.files[relpath]);
      if (!r.ok) {
        if (r.kind === "unreachable" || (r.kind === "refused" && r.status !== 401 && r.status !== 403)) {
          return r.kind === "unreachable" ? { offline: r.message } : { retry: `${relpath} not stored (${r.message})` };
        }
        return this.failed(r, relpath);
      }
      if (r.value) this.record({ [relpath]: r.value });
    }
    if (this.opts.checkpoints === "each" || this.finalPass) {
      for (const folder of checkpointFolders(runDir)) {
        const r = await syncFolder(addr, runId, runDir, folder, this.state.files);
        if (!r.ok) {
          if (r.kind === "refused" && (r.status === 401 || r.status === 403)) return this.failed(r, folder);
          if (r.kind === "unreachable") return { offline: r.message };
          return { retry: `${folder} not stored (${r.message})` };
        }
        if (r.value) this.record(r.value);
      }
    }
    return (await this.mirrorLock()) ?? { done: true };
  }

  private record(files: Record<string, string>): void {
    this.state.files = { ...this.state.files, ...files };
    saveState(this.opts.stateDir, this.state);
  }

  /** Sends every whole line after the acked seq, in batches; null when all went through. */
  private async pushEvents(): Promise<Pass | null> {
    const file = join(this.opts.runDir, RUN_FILES.events);
    if (!existsSync(file)) return null;
    for (;;) {
      const { lines, size, bad } = readLines(file, this.offset, MAX_EVENTS_PER_BATCH);
      if (size < this.offset) {
        this.offset = 0; // the file was cut back (a torn line repaired on resume): find our place again
        continue;
      }
      const fresh = lines.filter((l) => l.seq > this.state.ackedSeq);
      const skipped = lines.filter((l) => l.seq <= this.state.ackedSeq).at(-1);
      this.status.localSeq = Math.max(this.status.localSeq, lines.at(-1)?.seq ?? -1);
      if (fresh.length === 0) {
        if (skipped) {
          this.offset = skipped.end;
          continue;
        }
        return bad === null ? null : { fatal: `${file}: line at byte ${bad} has no readable seq` };
      }
      const r = await pushEvents(this.opts, {
        runId: this.opts.runId,
        events: fresh.map(({ seq, line }) => ({ seq, line })),
      });
      if (!r.ok) {
        if (r.kind === "conflict" && r.lastSeq !== null) {
          this.state.ackedSeq = r.lastSeq; // the server has less than we thought: resend from there
          this.offset = 0;
          continue;
        }
        return this.failed(r, "events");
      }
      this.state.ackedSeq = r.value.lastSeq;
      this.status.ackedSeq = r.value.lastSeq;
      this.offset = fresh.filter((l) => l.seq <= r.value.lastSeq).at(-1)?.end ?? this.offset;
      saveState(this.opts.stateDir, this.state);
    }
  }

  /** Mirrors the local `.lock` (live while the run trains, gone when it ends) to the server. */
  private async mirrorLock(): Promise<Pass | null> {
    let text: string | null = null;
    try {
      text = readFileSync(join(this.opts.runDir, RUN_FILES.lock), "utf8");
    } catch {
      text = null;
    }
    if (text === this.lockText) return null;
    const lock = text === null ? null : parseLock(text);
    if (text !== null && !lock) return null; // half-written: next pass
    const r = await mirrorLock(this.opts, { runId: this.opts.runId, lock });
    if (!r.ok) return this.failed(r, "lock");
    this.lockText = text;
    return null;
  }
}
