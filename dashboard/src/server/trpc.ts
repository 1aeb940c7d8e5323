/**
 * tRPC v11 setup (as in tRPC's next-sse-chat example). The access token, when one is set, is
 * checked by the server in front of Next for every request, so procedures need no auth context.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { PathRefusedError } from "./store/paths";
import { IngestRefusal } from "./ingest/store";

/**
 * The request's headers (absent for server-side callers such as the pages' `createCaller({})`):
 * the ingest procedures read who the access check said the caller is from them.
 */
export interface Context {
  headers?: Headers;
}

const t = initTRPC.context<Context>().create({
  // An ingest gap (CONFLICT) tells the worker where the server's copy ends, as data, not prose.
  errorFormatter: ({ shape, error }) =>
    error.cause instanceof IngestRefusal && error.cause.lastSeq !== undefined
      ? { ...shape, data: { ...shape.data, lastSeq: error.cause.lastSeq } }
      : shape,
  sse: {
    // keep the stream alive through proxies; the browser reconnects with lastEventId after a drop
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 25_000 },
  },
});

/** Turns a refused path into a 400 with its message instead of a 500 with a stack. */
const refusePaths = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof PathRefusedError) {
    throw new TRPCError({ code: "BAD_REQUEST", message: result.error.cause.message });
  }
  return result;
});

export const router = t.router;
export const publicProcedure = t.procedure.use(refusePaths);
export const createCallerFactory = t.createCallerFactory;
