/**
 * Xero's rate limits per organisation (minute, day, calls in flight) and per app, with the headers
 * Xero sends.
 */
import type { Response } from 'express';
import { xeroErrorBody } from './errors.js';
import { type SimOrganisation, type XeroSimLimits, type XeroSimulator } from './state.js';

export const DEFAULT_LIMITS: XeroSimLimits = { perMinute: 60, perDay: 5000, appPerMinute: 10000, concurrent: Number.POSITIVE_INFINITY };

export function rateLimited(sim: XeroSimulator, o: SimOrganisation, res: Response, at: Date): boolean {
  const t = at.getTime();
  const minute = Math.floor(t / 60_000);
  const day = Math.floor(t / 86_400_000);
  const u = o.usage;
  if (u.minute !== minute) Object.assign(u, { minute, minuteCount: 0 });
  if (u.day !== day) Object.assign(u, { day, dayCount: 0 });
  const app = sim.state.appUsage.get(o.clientId) ?? { minute, count: 0 };
  if (app.minute !== minute) Object.assign(app, { minute, count: 0 });
  sim.state.appUsage.set(o.clientId, app);

  const problem =
    u.inFlight >= sim.limits.concurrent
      ? 'concurrent'
      : u.dayCount >= sim.limits.perDay
        ? 'day'
        : u.minuteCount >= sim.limits.perMinute
          ? 'minute'
          : app.count >= sim.limits.appPerMinute
            ? 'appminute'
            : undefined;
  if (!problem) {
    u.minuteCount += 1;
    u.dayCount += 1;
    app.count += 1;
    u.inFlight += 1;
    res.once('close', () => (u.inFlight -= 1));
  }
  res.set({
    'X-MinLimit-Remaining': String(Math.max(0, sim.limits.perMinute - u.minuteCount)),
    'X-DayLimit-Remaining': String(Math.max(0, sim.limits.perDay - u.dayCount)),
    'X-AppMinLimit-Remaining': String(Math.max(0, sim.limits.appPerMinute - app.count)),
  });
  if (!problem) return false;
  const windowEnd = problem === 'day' ? (day + 1) * 86_400_000 : problem === 'concurrent' ? t + 1000 : (minute + 1) * 60_000;
  res.status(429).set({ 'Retry-After': String(Math.max(1, Math.ceil((windowEnd - t) / 1000))), 'X-Rate-Limit-Problem': problem });
  res.json(xeroErrorBody(429));
  return true;
}
