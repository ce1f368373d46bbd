import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { newParameterRow, validateParameterRows, type ParameterRow } from "../script-form";
import { ParametersEditor } from "./parameters-editor";

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
});
