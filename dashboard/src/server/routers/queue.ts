/**
 * `queue.*`: the Launch and Queue pages' API over the installed `Launcher` (cluster/launcher.ts).
 * The dashboard cannot resolve configs or talk to Redis itself; `tessera dashboard --queue URL`
 * installs a launcher that does. Without one every procedure answers PRECONDITION_FAILED with a
 * message saying how to start a server that has a queue.
 *
 * Enqueue, cancel and re-run are writes. There is no per-procedure check: the server in front of
 * Next (dashboard/serve/auth.ts `admit`) already refuses every request without the token when one
 * is set, and without a token it answers loopback host names only — so on a laptop the person at
 * the keyboard may launch, as they may `tessera submit`, and off loopback only token holders can.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { getLauncher, type Launcher } from "../cluster/launcher";
import { resolveConfigFile } from "../store/paths";
import { publicProcedure, router } from "../trpc";

/** Said by every procedure of a server started without `--queue`. */
export const NO_QUEUE_MESSAGE =
  "this dashboard has no queue: start it with `tessera dashboard --queue redis://host:6379/0` to launch runs from here";

function launcher(): Launcher {
  const installed = getLauncher();
  if (!installed) throw new TRPCError({ code: "PRECONDITION_FAILED", message: NO_QUEUE_MESSAGE });
  return installed;
}

/** `path=value`, as `tessera run --set` takes it; the launcher checks the path against the schema. */
const setRow = z
  .string()
  .max(2000)
  .regex(/^[^=\s]+=/, { message: "a --set is path=value, e.g. train.batch_size=16" });

const launchRequest = z.object({
  config: z.string().min(1).max(300),
  sets: z.array(setRow).max(100).default([]),
  /** Higher runs sooner, as `tessera submit --priority`. */
  priority: z.number().int().min(-1000).max(1000).optional(),
});

type LaunchInput = z.infer<typeof launchRequest>;

/** Refuses a config name outside the configs folder before the launcher sees it (400, not 500). */
function checked(input: LaunchInput): LaunchInput {
  resolveConfigFile(input.config);
  return input;
}

const jobId = z.object({ jobId: z.string().min(1).max(200) });

export const queueRouter = router({
  /** Whether this server can launch at all, so the pages can say so before anyone fills a form. */
  status: publicProcedure.query(() => ({ enabled: getLauncher() !== undefined, message: NO_QUEUE_MESSAGE })),
  // A mutation although it changes nothing: the button fires it on demand (not on every keystroke
  // as a query would refetch), and a POST body has no URL length limit for many --set rows.
  plan: publicProcedure.input(launchRequest).mutation(({ input }) => launcher().plan(checked(input))),
  enqueue: publicProcedure.input(launchRequest).mutation(({ input }) => launcher().enqueue(checked(input))),
  list: publicProcedure.query(() => launcher().list()),
  cancel: publicProcedure.input(jobId).mutation(({ input }) => launcher().cancel(input.jobId)),
  rerun: publicProcedure.input(jobId).mutation(({ input }) => launcher().rerun(input.jobId)),
});
