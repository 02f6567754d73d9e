/**
 * The rolling windows both simulators count rate limits in: the times (ms) of the calls let through,
 * oldest first, of which only those within the last `window` ms count.
 */

/** Drops the calls that left the window; returns when the oldest one still in it leaves. */
export function roll(calls: number[], t: number, window: number): number {
  while (calls.length && calls[0] <= t - window) calls.shift();
  return (calls[0] ?? t) + window;
}
