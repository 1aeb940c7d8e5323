import { RunsTable } from "../components/RunsTable";

export default function RunsPage() {
  return <RunsTable />;
}
