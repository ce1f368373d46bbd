//! "Agent updates": what the server can hand out (releases), the staged rollouts that hand it out,
//! and the update policies that decide which agents take what, and when. All of it is the
//! organization's, so the page is not among a client-scoped user's.
import { useAgentReleases } from "../api/rollouts";
import { agentVersions } from "../rollout-form";
import { PageHeader } from "@/components/page-header";
import { useNow } from "@/hooks/use-now";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { ReleasesBanner, ReleasesCard } from "./releases-card";
import { RolloutsSection } from "./rollouts-section";
import { UpdatePoliciesCard } from "./update-policies-card";

export function UpdatesPage() {
  useDocumentTitle("Agent updates");
  const releases = useAgentReleases();
  const now = useNow(60_000);
  const versions = agentVersions(releases.data?.items ?? [], now).map((release) => release.version);
  return (
    <div className="grid gap-4">
      <PageHeader
        title="Agent updates"
        description="Signed agent releases, the staged rollouts that bring them to the fleet, and the policies that say which agents take which release, and when."
      />
      <ReleasesBanner releases={releases.data} />
      <RolloutsSection releases={releases.data} />
      <ReleasesCard />
      <UpdatePoliciesCard versions={versions} />
    </div>
  );
}
