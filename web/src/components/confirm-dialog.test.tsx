import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ApiError } from "@/api/errors";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "./confirm-dialog";

function renderDialog(onConfirm: () => Promise<unknown>) {
  render(
    <ConfirmDialog
      trigger={<Button>Delete</Button>}
      title="Delete Acme?"
      description="It cannot be undone."
      confirmLabel="Delete client"
      onConfirm={onConfirm}
    />,
  );
}

describe("ConfirmDialog", () => {
  it("does nothing until the user confirms, then closes", async () => {
    const onConfirm = vi.fn(() => Promise.resolve());
    renderDialog(onConfirm);
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    expect(screen.getByRole("alertdialog")).toHaveTextContent("It cannot be undone.");
    expect(onConfirm).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole("button", { name: "Delete client" }));
    expect(onConfirm).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument());
  });

  it("stays open and shows the server's refusal", async () => {
    renderDialog(() => Promise.reject(new ApiError(409, "conflict", "The client still has 2 agents.")));
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    await userEvent.click(screen.getByRole("button", { name: "Delete client" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The client still has 2 agents.");
    expect(screen.getByRole("alertdialog")).toBeInTheDocument();
  });

  it("cancel never runs the action", async () => {
    const onConfirm = vi.fn(() => Promise.resolve());
    renderDialog(onConfirm);
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(onConfirm).not.toHaveBeenCalled();
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
  });
});
