//! The signed-in user's API keys and the organization's settings, in their own chunk: most visits
//! never open them.
import { ApiKeysPage } from "@/features/api-keys/components/api-keys-page";
import { OrganizationPage } from "@/features/organization/components/organization-page";

export function ApiKeysRoute() {
  return <ApiKeysPage />;
}

export function OrganizationRoute() {
  return <OrganizationPage />;
}
