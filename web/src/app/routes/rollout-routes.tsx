//! The agent updates page (releases, rollouts, update policies), split into its own chunk.
import { UpdatesPage } from "@/features/rollouts/components/updates-page";

export function UpdatesRoute() {
  return <UpdatesPage />;
}
