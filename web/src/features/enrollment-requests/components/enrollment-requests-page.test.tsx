import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { EnrollmentRequest, EnrollmentRequestList } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { enrollmentRequestKeys } from "../api/enrollment-requests";
import { EnrollmentRequestsPage } from "./enrollment-requests-page";

const request: EnrollmentRequest = {
  id: "r1",
  agent_id: "a1",
  agent_hostname: "accounting-pc",
  agent_site_name: "HQ",
  client_id: "c2",
  client_name: "Other client",
  site_id: "s2",
  site_name: "Branch",
  hostname: "evil-host",
  os: { family: "linux", name: "Debian GNU/Linux", version: "12", kernel: null },
  arch: "x86_64",
  agent_version: "0.1.0",
  public_ip: "203.0.113.9",
  device_id: "machine-id-1",
  created_at: new Date().toISOString(),
};

function renderRequests(role: "admin" | "technician" | "readonly", list: EnrollmentRequestList) {
  return renderPage(<EnrollmentRequestsPage />, { role, seed: [[enrollmentRequestKeys.all, list]] });
}

describe("EnrollmentRequestsPage", () => {
  it("shows who claims which agent, from where, and lets an administrator decide", async () => {
    renderRequests("admin", { items: [request] });
    const row = await screen.findByTestId("enrollment-request-row");
    expect(row).toHaveTextContent("evil-host");
    expect(row).toHaveTextContent("accounting-pc");
    expect(row).toHaveTextContent("now in HQ");
    expect(row).toHaveTextContent("Other client / Branch");
    expect(row).toHaveTextContent("203.0.113.9");
    expect(row).toHaveTextContent("machine-id-1");
    await userEvent.click(within(row).getByRole("button", { name: "Approve" }));
    expect(await screen.findByRole("alertdialog")).toHaveTextContent("Let evil-host become accounting-pc?");
  });

  it.each(["technician", "readonly"] as const)("tells a %s the page is not for their role", async (role) => {
    renderRequests(role, { items: [request] });
    expect(await screen.findByText("Not available to your role")).toBeInTheDocument();
    expect(screen.queryByText("evil-host")).toBeNull();
  });

  it("says when nothing waits", async () => {
    renderRequests("admin", { items: [] });
    expect(await screen.findByTestId("enrollment-requests-empty")).toHaveTextContent("Nothing waits for approval");
  });
});
