/** A Retry-After header (delay-seconds or an HTTP-date) in whole seconds from `now`; undefined when absent or unreadable. */
export function retryAfterSeconds(raw: unknown, now: () => Date): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const at = Date.parse(String(raw));
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now().getTime()) / 1000));
}
