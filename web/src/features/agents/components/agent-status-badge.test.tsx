import { render, screen } from "@testing-library/react";
import { AgentStatusBadge } from "./agent-status-badge";

describe("AgentStatusBadge", () => {
  it("says online in the success colour", () => {
    render(<AgentStatusBadge status="online" />);
    const badge = screen.getByTestId("agent-status");
    expect(badge).toHaveTextContent(/^online$/);
    expect(badge).toHaveAttribute("data-status", "online");
    expect(badge.className).toContain("text-success");
  });

  it("says offline in grey, never in the online colour", () => {
    render(<AgentStatusBadge status="offline" />);
    const badge = screen.getByTestId("agent-status");
    expect(badge).toHaveTextContent(/^offline$/);
    expect(badge.className).toContain("text-muted-foreground");
    expect(badge.className).not.toContain("text-success");
  });
});
