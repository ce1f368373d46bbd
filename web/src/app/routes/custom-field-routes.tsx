//! The custom fields settings page, in its own chunk.
import { CustomFieldsPage } from "@/features/custom-fields/components/custom-fields-page";

export function CustomFieldsRoute() {
  return <CustomFieldsPage />;
}
