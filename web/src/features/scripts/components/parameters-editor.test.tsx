import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render as renderPlain, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { newParameterRow, validateParameterRows, type ParameterRow } from "../script-form";
import { ParametersEditor } from "./parameters-editor";

// Radix Select uses pointer capture and scrolling, which jsdom lacks.
beforeAll(() => {
  Element.prototype.hasPointerCapture ??= () => false;
  Element.prototype.releasePointerCapture ??= () => undefined;
  Element.prototype.scrollIntoView ??= () => undefined;
});

/** The page's query cache, with the organization's custom fields as the server would answer them. */
function render(ui: React.ReactElement) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } });
  queryClient.setQueryData(["scripts", "custom-fields"], {
    items: [
      { id: "f1", key: "backup_path", name: "Backup path", scope: "site", kind: "text", choices: [], created_at: "2025-01-01T00:00:00Z" },
    ],
  });
  return renderPlain(<QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>);
}

/** The editor as the script page uses it: rows in state, checked as they change. */
function Harness({ initial, onRows }: { initial: ParameterRow[]; onRows?: (rows: ParameterRow[]) => void }) {
  const [rows, setRows] = useState(initial);
  return (
    <ParametersEditor
      rows={rows}
      onChange={(next) => {
        setRows(next);
        onRows?.(next);
      }}
      problem={validateParameterRows(rows)}
    />
  );
}

describe("ParametersEditor", () => {
  it("adds and removes rows, and explains how values reach the script when there are none", async () => {
    const onRows = vi.fn();
    render(<Harness initial={[]} onRows={onRows} />);
    expect(screen.getByText(/as the next argument/)).toBeInTheDocument();
    await userEvent.click(screen.getByTestId("add-parameter-button"));
    await userEvent.type(screen.getByLabelText("Parameter 1 name"), "Name");
    expect(onRows).toHaveBeenLastCalledWith([expect.objectContaining({ name: "Name", type: "string", required: false })]);
    await userEvent.click(screen.getByRole("button", { name: "Remove parameter 1" }));
    expect(screen.queryAllByTestId("parameter-row")).toHaveLength(0);
  });

  it("marks the row with the mistake: a bad name, a duplicate, a default of the wrong type", async () => {
    render(<Harness initial={[newParameterRow({ name: "Path" }), newParameterRow({ name: "Path" })]} />);
    expect(screen.getByTestId("parameters-error")).toHaveTextContent("Parameter 2: Path is defined twice.");
    expect(screen.getByLabelText("Parameter 2 name")).toHaveAttribute("aria-invalid", "true");

    await userEvent.clear(screen.getByLabelText("Parameter 2 name"));
    await userEvent.type(screen.getByLabelText("Parameter 2 name"), "9lives");
    expect(screen.getByTestId("parameters-error")).toHaveTextContent("Parameter 2:");
    expect(screen.getByTestId("parameters-error")).toHaveTextContent("not starting with a digit");

    await userEvent.clear(screen.getByLabelText("Parameter 2 name"));
    await userEvent.type(screen.getByLabelText("Parameter 2 name"), "Count");
    expect(screen.queryByTestId("parameters-error")).not.toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Parameter 1 default"), "x");
    expect(screen.queryByTestId("parameters-error")).not.toBeInTheDocument();
  });

  it("maps a parameter to a custom field, listed by name and key", async () => {
    const onRows = vi.fn();
    render(<Harness initial={[newParameterRow({ name: "Path" })]} onRows={onRows} />);
    await userEvent.click(screen.getByLabelText("Parameter 1 from custom field"));
    await userEvent.click(await screen.findByRole("option", { name: "Backup path (backup_path)" }));
    expect(onRows).toHaveBeenLastCalledWith([expect.objectContaining({ name: "Path", customField: "backup_path" })]);
  });

  it("offers the secret type: a password default with show and hide, and says where secrets go", async () => {
    const onRows = vi.fn();
    render(<Harness initial={[newParameterRow({ name: "Password" })]} onRows={onRows} />);
    expect(screen.queryByTestId("secret-parameter-hint")).not.toBeInTheDocument();
    await userEvent.click(screen.getByLabelText("Parameter 1 type"));
    await userEvent.click(await screen.findByRole("option", { name: "Secret" }));
    const input = screen.getByLabelText("Parameter 1 default");
    expect(input).toHaveAttribute("type", "password");
    expect(screen.getByTestId("secret-parameter-hint")).toHaveTextContent(
      "passed only as environment variables, never as positional arguments, and shown only to users with the View secrets permission",
    );
    await userEvent.type(input, "hunter2");
    expect(onRows).toHaveBeenLastCalledWith([expect.objectContaining({ name: "Password", type: "secret", default: "hunter2" })]);
    await userEvent.click(screen.getByRole("button", { name: "Show the value" }));
    expect(input).toHaveAttribute("type", "text");
    await userEvent.click(screen.getByRole("button", { name: "Hide the value" }));
    expect(input).toHaveAttribute("type", "password");
  });

  it("shows a hidden default locked and unchanged, until the user replaces it (or keeps it after all)", async () => {
    const onRows = vi.fn();
    render(<Harness initial={[newParameterRow({ name: "Password", type: "secret", hiddenDefault: "Password" })]} onRows={onRows} />);
    expect(screen.getByTestId("hidden-default")).toHaveTextContent("hidden — unchanged");
    expect(screen.queryByLabelText("Parameter 1 default")).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Replace the default of parameter 1" }));
    const input = screen.getByLabelText("Parameter 1 default");
    expect(input).toHaveAttribute("type", "password");
    expect(input).toHaveValue("");
    await userEvent.type(input, "new");
    expect(onRows).toHaveBeenLastCalledWith([expect.objectContaining({ replaceHidden: true, default: "new" })]);

    await userEvent.click(screen.getByRole("button", { name: "Keep the hidden default of parameter 1" }));
    expect(screen.getByTestId("hidden-default")).toBeInTheDocument();
    expect(onRows).toHaveBeenLastCalledWith([expect.objectContaining({ replaceHidden: false, default: "" })]);
  });
});
