import { QueueView } from "../../components/QueueView";

export default function QueuePage() {
  return <QueueView />;
}
