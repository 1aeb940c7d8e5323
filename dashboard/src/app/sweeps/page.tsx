import { SweepsTable } from "../../components/SweepsTable";
import { appRouter } from "../../server/routers/_app";

export const dynamic = "force-dynamic";

export default async function SweepsPage() {
  const initial = await appRouter.createCaller({}).sweeps.list();
  return <SweepsTable initial={initial} />;
}
