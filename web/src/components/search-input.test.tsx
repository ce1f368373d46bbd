import { act, fireEvent, render, screen } from "@testing-library/react";
import { SearchInput } from "./search-input";

describe("SearchInput", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("reports the value once typing pauses, not on every key", () => {
    const onChange = vi.fn();
    render(<SearchInput label="Search agents" placeholder="Search" value="" onChange={onChange} />);
    const box = screen.getByRole("searchbox", { name: "Search agents" });
    fireEvent.change(box, { target: { value: "w" } });
    fireEvent.change(box, { target: { value: "web" } });
    act(() => vi.advanceTimersByTime(299));
    expect(onChange).not.toHaveBeenCalled();
    act(() => vi.advanceTimersByTime(1));
    expect(onChange).toHaveBeenCalledExactlyOnceWith("web");
  });

  it("follows a value changed from outside, such as the back button", () => {
    const onChange = vi.fn();
    const { rerender } = render(<SearchInput label="Search agents" placeholder="Search" value="web" onChange={onChange} />);
    rerender(<SearchInput label="Search agents" placeholder="Search" value="db" onChange={onChange} />);
    expect(screen.getByRole("searchbox")).toHaveValue("db");
    act(() => vi.advanceTimersByTime(1000));
    expect(onChange).not.toHaveBeenCalled();
  });

  it("focuses on '/' unless the user is typing in another field", () => {
    render(
      <>
        <input aria-label="other" />
        <SearchInput label="Search agents" placeholder="Search" value="" onChange={() => undefined} />
      </>,
    );
    fireEvent.keyDown(screen.getByLabelText("other"), { key: "/" });
    expect(screen.getByRole("searchbox")).not.toHaveFocus();
    fireEvent.keyDown(document.body, { key: "/" });
    expect(screen.getByRole("searchbox")).toHaveFocus();
  });
});
