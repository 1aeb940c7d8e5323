/** The dashboard's whole API. */
import { router } from "../trpc";
import { configsRouter } from "./configs";
import { runsRouter } from "./runs";

export const appRouter = router({ runs: runsRouter, configs: configsRouter });

/** Client code imports only this type, never the server code. */
export type AppRouter = typeof appRouter;
