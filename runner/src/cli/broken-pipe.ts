/**
 * `tessera run cfg | head`: once `head` exits, the next write to stdout/stderr fails with EPIPE,
 * and Node raises it as an 'error' event on the stream; unhandled, it killed the run mid-epoch
 * with no `run_failed`, status `running` and the lock left behind. Progress output is a courtesy,
 * the run folder is the record: a broken pipe only silences the stream and training goes on.
 */

/** Streams whose reader went away (tests read it). */
export const brokenStreams = new Set<NodeJS.WriteStream>();

let installed = false;

/**
 * Swallows EPIPE, EIO (a terminal hung up) and ERR_STREAM_DESTROYED (later writes) on
 * stdout and stderr; any other stream error is still thrown. Idempotent.
 */
export function ignoreBrokenPipes(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  if (installed) return;
  installed = true;
  for (const stream of streams) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE" || error.code === "EIO" || error.code === "ERR_STREAM_DESTROYED") {
        brokenStreams.add(stream);
        return;
      }
      throw error;
    });
  }
}
