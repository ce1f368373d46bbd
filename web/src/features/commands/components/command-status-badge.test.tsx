import { render, screen } from "@testing-library/react";
import { CommandStatusBadge } from "./command-status-badge";

function badgeFor(status: string) {
  render(<CommandStatusBadge status={status} />);
  return screen.getByTestId("command-status");
}

describe("CommandStatusBadge", () => {
  it("shows a completed command in green", () => {
    const badge = badgeFor("completed");
    expect(badge).toHaveTextContent(/^completed$/);
    expect(badge).toHaveAttribute("data-status", "completed");
    expect(badge.className).toContain("text-success");
  });

  it("spins while running, and only then", () => {
    const running = badgeFor("running");
    expect(running).toHaveTextContent(/^running$/);
    expect(running.querySelector("svg.animate-spin")).not.toBeNull();
    expect(running.className).toContain("text-primary");
  });

  it("never shows a failure or a timeout in the success colour", () => {
    const failed = badgeFor("failed");
    expect(failed.className).toContain("text-destructive");
    expect(failed.className).not.toContain("text-success");
    expect(failed.querySelector("svg")).toBeNull();
  });

  it("marks commands cut short in amber and waiting ones in grey", () => {
    const { unmount } = render(<CommandStatusBadge status="timeout" />);
    expect(screen.getByTestId("command-status")).toHaveTextContent(/^timeout$/);
    expect(screen.getByTestId("command-status").className).toContain("bg-warning");
    unmount();
    expect(badgeFor("queued").className).toContain("text-muted-foreground");
  });

  it("shows a status it does not know as the server sent it", () => {
    expect(badgeFor("paused")).toHaveTextContent(/^paused$/);
  });
});
