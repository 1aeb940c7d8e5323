/**
 * The worker's side of the central server (issue 18, part ingest): claim, push events and files,
 * download a run another worker started. The ingest client (runner/src/remote/) is not merged into
 * this branch yet, so asking for a server is refused with a message that says so, rather than
 * silently keeping runs local.
 */
import { UsageError } from "../errors";
import type { RunSyncFactory } from "./sync";

export function remoteSync(opts: { server: string; token: string | null }): RunSyncFactory {
  throw new UsageError(
    `tessera worker --server ${opts.server}: this build has no ingest client yet; run without --server to keep runs local`,
  );
}
