/**
 * `ingest.*`: what `tessera worker`s call to put their runs into this server's store (see
 * runner/src/remote/ for the client and ../ingest/ for the rules). Files travel over the plain
 * HTTP route `/api/ingest/runs/<id>/files/<path>` instead, to stream them.
 */
import { TRPCError } from "@trpc/server";
import { ClaimInput, CommitFolderInput, EventsInput, LockInput, wireParser } from "@tessera/shared/ingest";
import { publicProcedure, router } from "../trpc";
import { claimRun } from "../ingest/claim";
import { appendEvents } from "../ingest/events";
import { callerIdentity } from "../ingest/files";
import { commitFolder, mirrorLock } from "../ingest/folder";
import { principalOf } from "../ingest/principal";
import { IngestRefusal } from "../ingest/store";

/** Maps a refusal to its tRPC error; a gap's CONFLICT carries the server's lastSeq in its message and cause. */
async function refusals<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof IngestRefusal)) throw error;
    throw new TRPCError({ code: error.code, message: error.message, cause: error });
  }
}

const headersOf = (ctx: { headers?: Headers }) => ctx.headers ?? new Headers();

export const ingestRouter = router({
  claim: publicProcedure.input(wireParser(ClaimInput)).mutation(({ ctx, input }) =>
    refusals(async () => {
      const headers = new Headers(headersOf(ctx));
      // A claim names its worker in the input; a worker token's own name still wins (identityOf).
      if (!headers.has("x-tessera-worker")) headers.set("x-tessera-worker", input.worker);
      const identity = callerIdentity(headers);
      return claimRun(principalOf(headers)!, identity, input);
    }),
  ),
  events: publicProcedure
    .input(wireParser(EventsInput))
    .mutation(({ ctx, input }) => refusals(() => appendEvents(callerIdentity(headersOf(ctx)), input))),
  commitFolder: publicProcedure
    .input(wireParser(CommitFolderInput))
    .mutation(({ ctx, input }) => refusals(() => commitFolder(callerIdentity(headersOf(ctx)), input))),
  lock: publicProcedure
    .input(wireParser(LockInput))
    .mutation(({ ctx, input }) => refusals(() => mirrorLock(callerIdentity(headersOf(ctx)), input))),
});
