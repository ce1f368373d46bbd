import { screen } from "@testing-library/react";
import type { ClientPage } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { clientKeys } from "../api/clients";
import { ClientsPage } from "./clients-page";

const clients: ClientPage = {
  items: [
    { id: "0b0e7e36-4f38-4cb6-9d4a-2f4a8f0f8a11", name: "Acme Corp", site_count: 2, agent_count: 14, created_at: "2026-01-01T00:00:00Z" },
  ],
  total: 1,
  page: 1,
  per_page: 50,
};

function renderClients(role: "admin" | "technician" | "readonly", data: ClientPage = clients) {
  return renderPage(<ClientsPage search={{}} onSearchChange={() => undefined} onClientCreated={() => undefined} />, {
    role,
    seed: [[clientKeys.list({ page: 1 }), data]],
  });
}

describe("ClientsPage", () => {
  it("lists clients with their counts and a link to each", async () => {
    renderClients("technician");
    const link = await screen.findByRole("link", { name: "Acme Corp" });
    expect(link).toHaveAttribute("href", "/clients/0b0e7e36-4f38-4cb6-9d4a-2f4a8f0f8a11");
    expect(screen.getByRole("row", { name: /Acme Corp/ })).toHaveTextContent("14");
    expect(screen.getByRole("button", { name: "New client" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Rename Acme Corp" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Delete Acme Corp" })).toBeInTheDocument();
  });

  it("shows readonly users no control that changes anything", async () => {
    renderClients("readonly");
    await screen.findByRole("link", { name: "Acme Corp" });
    expect(screen.queryByRole("button", { name: "New client" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Rename|Delete/ })).not.toBeInTheDocument();
  });

  it("explains what to do when there is no client yet", async () => {
    renderClients("admin", { items: [], total: 0, page: 1, per_page: 50 });
    expect(await screen.findByTestId("clients-empty")).toHaveTextContent("Create your first client");
  });
});
