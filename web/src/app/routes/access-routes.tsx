//! The signed-in user's API keys, the organization's settings, single sign-on and roles, and the
//! operator's organizations, in their own chunk: most visits never open them.
import { ApiKeysPage } from "@/features/api-keys/components/api-keys-page";
import { OperatorPage } from "@/features/operator/components/operator-page";
import { OrganizationPage } from "@/features/organization/components/organization-page";
import { RolesPage } from "@/features/roles/components/roles-page";
import { SsoPage } from "@/features/sso/components/sso-page";

export function ApiKeysRoute() {
  return <ApiKeysPage />;
}

export function OrganizationRoute() {
  return <OrganizationPage />;
}

export function SsoRoute() {
  return <SsoPage />;
}

export function RolesRoute() {
  return <RolesPage />;
}

export function OperatorRoute() {
  return <OperatorPage />;
}
