//! The order in which stdout and stderr arrived, which the stored command does not keep (it holds
//! each stream whole). A terminal open while the command runs records it from live events and
//! shows the streams interleaved as a real terminal would, as long as the record accounts for all of
//! the output it shows. The hook that records it is `hooks/use-output-transcript.ts`.
export interface OutputSegment {
  stream: "stdout" | "stderr";
  text: string;
}

/** Appends a chunk, merging it into the last segment when it continues the same stream. */
export function appendSegment(segments: OutputSegment[], stream: OutputSegment["stream"], text: string): OutputSegment[] {
  if (text === "") return segments;
  const last = segments[segments.length - 1];
  if (last && last.stream === stream) return [...segments.slice(0, -1), { stream, text: last.text + text }];
  return [...segments, { stream, text }];
}

/** The interleaved segments if they add up to exactly this output, otherwise null (show the streams apart). */
export function interleavedOutput(segments: OutputSegment[], output: { stdout: string; stderr: string }): OutputSegment[] | null {
  if (segments.length === 0) return null;
  let stdout = "";
  let stderr = "";
  for (const segment of segments) {
    if (segment.stream === "stdout") stdout += segment.text;
    else stderr += segment.text;
  }
  return stdout === output.stdout && stderr === output.stderr ? segments : null;
}
