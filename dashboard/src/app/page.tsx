import { RunsTable } from "../components/RunsTable";
import { appRouter } from "../server/routers/_app";

// The run store changes under us: render per request, with the first page of runs in the HTML,
// so the table shows on first paint instead of after hydration plus a round trip.
export const dynamic = "force-dynamic";

export default async function RunsPage() {
  const initial = await appRouter.createCaller({}).runs.list({});
  return <RunsTable initial={initial} />;
}
