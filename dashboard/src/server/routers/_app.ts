/** The dashboard's whole API. */
import { router } from "../trpc";
import { configsRouter } from "./configs";
import { ingestRouter } from "./ingest";
import { queueRouter } from "./queue";
import { runsRouter } from "./runs";
import { sweepsRouter } from "./sweeps";

export const appRouter = router({
  runs: runsRouter,
  configs: configsRouter,
  sweeps: sweepsRouter,
  ingest: ingestRouter,
  queue: queueRouter,
});

/** Client code imports only this type, never the server code. */
export type AppRouter = typeof appRouter;
