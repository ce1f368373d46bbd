//! Records a command's live output in arrival order (see `output-transcript.ts`).
import { useState } from "react";
import { useLiveEvent } from "@/lib/live-events";
import { appendSegment, type OutputSegment } from "../output-transcript";

/** Records one command's live output in arrival order while the component is mounted. */
export function useOutputTranscript(commandId: string): OutputSegment[] {
  const [segments, setSegments] = useState<OutputSegment[]>([]);
  useLiveEvent((event) => {
    if (event.type === "command_output" && event.command_id === commandId) {
      setSegments((current) => appendSegment(current, event.stream, event.data));
    }
  });
  return segments;
}
