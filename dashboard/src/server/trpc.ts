/**
 * tRPC v11 setup (as in tRPC's next-sse-chat example). The access token, when one is set, is
 * checked by the server in front of Next for every request, so procedures need no auth context.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { PathRefusedError } from "./store/paths";

const t = initTRPC.create({
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
