import { LaunchView } from "../../components/LaunchView";

export default function LaunchPage() {
  return <LaunchView />;
}
