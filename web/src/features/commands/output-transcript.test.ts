import { appendSegment, interleavedOutput, type OutputSegment } from "./output-transcript";

function record(chunks: [OutputSegment["stream"], string][]): OutputSegment[] {
  return chunks.reduce<OutputSegment[]>((segments, [stream, text]) => appendSegment(segments, stream, text), []);
}

describe("output transcript", () => {
  it("keeps arrival order and merges consecutive chunks of one stream", () => {
    expect(
      record([
        ["stdout", "a\n"],
        ["stdout", "b\n"],
        ["stderr", "oops\n"],
        ["stdout", "c\n"],
        ["stdout", ""],
      ]),
    ).toEqual([
      { stream: "stdout", text: "a\nb\n" },
      { stream: "stderr", text: "oops\n" },
      { stream: "stdout", text: "c\n" },
    ]);
  });

  it("is used only when it accounts for exactly the output shown", () => {
    const segments = record([
      ["stdout", "a\n"],
      ["stderr", "oops\n"],
      ["stdout", "c\n"],
    ]);
    expect(interleavedOutput(segments, { stdout: "a\nc\n", stderr: "oops\n" })).toBe(segments);
    // Output from before the terminal opened, or a chunk missed while the stream was down.
    expect(interleavedOutput(segments, { stdout: "early\na\nc\n", stderr: "oops\n" })).toBeNull();
    expect(interleavedOutput(segments, { stdout: "a\nc\n", stderr: "" })).toBeNull();
    expect(interleavedOutput([], { stdout: "", stderr: "" })).toBeNull();
  });
});
