/**
 * Xero's rate limits per organisation (minute, day, calls in flight) and per app, with the headers
 * Xero sends.
 */
import type { Response } from 'express';
import { roll } from '../windows.js';
import { xeroErrorBody } from './errors.js';
import type { XeroSimulator } from './simulator.js';
import { type SimOrganisation, type XeroSimLimits } from './state.js';

/**
 * Five calls in flight per organisation ("Concurrent Limit: 5 calls in progress at one time",
 * developer.xero.com/faq/limits). The minute and day limits count the calls of the last 60 seconds
 * and 24 hours: "60 calls in a rolling 60 second window", "5000 calls in a rolling 24 hour window"
 * (Xero's limits page as quoted in XeroAPI/xero-node#262; today's FAQ: "in a given 24 hour
 * period"). A client that resets its own count on the clock's boundaries still meets a 429 right
 * after one.
 */
export const DEFAULT_LIMITS: XeroSimLimits = { perMinute: 60, perDay: 5000, appPerMinute: 10000, concurrent: 5 };

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * The day limit is the calling app's (`appId`): since 2 March 2026 Xero prices apps in tiers, and on
 * the free Starter tier an app may make 1 000 calls a day per organisation, 5 000 on the others
 * (accountingtoday.com, "Xero shifts to tiered pricing model for developers"; apideck's ERP API
 * cheat sheet: "5,000/day (1,000 Starter)"; developer.xero.com/faq/limits still says 5 000).
 */
export function rateLimited(sim: XeroSimulator, o: SimOrganisation, res: Response, at: Date, appId = o.clientId): boolean {
  const t = at.getTime();
  const perDay = sim.state.dayLimits.get(appId) ?? sim.limits.perDay;
  const u = o.usage;
  // State saved by an older simulator counted fixed windows: start the rolling ones empty.
  const minuteCalls = (u.minuteCalls ??= []);
  const dayCalls = (u.dayCalls ??= []);
  const saved: unknown = sim.state.appUsage.get(o.clientId);
  const appCalls = Array.isArray(saved) ? (saved as number[]) : [];
  sim.state.appUsage.set(o.clientId, appCalls);
  const minuteFree = roll(minuteCalls, t, MINUTE);
  const dayFree = roll(dayCalls, t, DAY);
  const appFree = roll(appCalls, t, MINUTE);

  const problem =
    u.inFlight >= sim.limits.concurrent
      ? 'concurrent'
      : dayCalls.length >= perDay
        ? 'day'
        : minuteCalls.length >= sim.limits.perMinute
          ? 'minute'
          : appCalls.length >= sim.limits.appPerMinute
            ? 'appminute'
            : undefined;
  if (!problem) {
    minuteCalls.push(t);
    dayCalls.push(t);
    appCalls.push(t);
    u.inFlight += 1;
    res.once('close', () => (u.inFlight -= 1));
  }
  res.set({
    'X-MinLimit-Remaining': String(Math.max(0, sim.limits.perMinute - minuteCalls.length)),
    'X-DayLimit-Remaining': String(Math.max(0, perDay - dayCalls.length)),
    'X-AppMinLimit-Remaining': String(Math.max(0, sim.limits.appPerMinute - appCalls.length)),
  });
  if (!problem) return false;
  res.status(429).set('X-Rate-Limit-Problem', problem);
  // "If you have exceeded the minute or daily limit you will also receive a Retry-After" header
  // (developer.xero.com/documentation/guides/oauth2/limits, "API rate limits"): none for the
  // concurrent limit, which frees as soon as a call in progress ends. The app's minute is a minute
  // limit too, and keeps it.
  if (problem !== 'concurrent') {
    const freeAt = problem === 'day' ? dayFree : problem === 'minute' ? minuteFree : appFree;
    res.set('Retry-After', String(Math.max(1, Math.ceil((freeAt - t) / 1000))));
  }
  res.json(xeroErrorBody(429));
  return true;
}
