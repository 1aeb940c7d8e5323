import { ConfigsView } from "../../components/ConfigsView";

export default function ConfigsPage() {
  return <ConfigsView />;
}
