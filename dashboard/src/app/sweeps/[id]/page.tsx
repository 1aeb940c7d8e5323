import { SweepView } from "../../../components/SweepView";

export default async function SweepPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <SweepView id={decodeURIComponent(id)} />;
}
