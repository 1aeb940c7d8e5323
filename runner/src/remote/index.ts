/**
 * The worker's side of ingest: pushing a run to the central server and fetching it back.
 *
 * ```ts
 * const sync = RemoteSync.start({ server, token, worker, runId, runDir, stateDir, job: { jobId, attempt } });
 * // ... the run trains, writing runDir as usual ...
 * const { ok } = await sync.stop(); // last events, summary, report, checkpoints; ok when the server has all
 * ```
 *
 * For a retried job, `downloadRun({ server, token, worker, runId, toDir, job, stateDir })` first,
 * then `tessera run --resume <toDir>` and a RemoteSync as above.
 */
export { RemoteSync, type FlushResult, type RemoteSyncOptions, type SyncStatus } from "./sync";
export { downloadRun, type DownloadOptions, type Downloaded } from "./download";
export type { CallResult, ServerAddress } from "./client";
export { addToken, listTokens, revokeToken } from "./tokens";
