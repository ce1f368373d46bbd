//! The time axis of an agent's charts.

/**
 * The charts' time axis: the range asked for, starting no earlier than the agent's enrollment (less a
 * minute, so its first sample is not on the edge) when that is within the range.
 */
export function chartDomain(from: string, to: string, since: string | undefined): [number, number] {
  const start = Date.parse(from);
  const end = Date.parse(to);
  const enrolled = since ? Date.parse(since) - 60_000 : Number.NaN;
  return [Number.isFinite(enrolled) && enrolled > start && enrolled < end ? enrolled : start, end];
}
