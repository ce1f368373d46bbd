//! Remembers the last value that was not `undefined`: a dialog keeps showing what it showed while it
//! animates closed, instead of going blank first.
import { useState } from "react";

export function useLastDefined<T>(value: T | undefined): T | undefined {
  const [last, setLast] = useState(value);
  // Adjusting state while rendering (not in an effect) avoids a render with the stale value.
  if (value !== undefined && value !== last) setLast(value);
  return value ?? last;
}
