/**
 * Geometry of the dashboard's "paid per day" bar charts, one per currency, drawn by the view as
 * plain SVG (no chart library, no inline style: colours come from CSS classes).
 */
import type { Currency } from '../../money.js';

export const CHART = { width: 600, height: 160, top: 8, bottom: 20 } as const;

export interface ChartBar {
  day: string;
  amount: number; // minor units
  count: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DayChart {
  currency: Currency;
  from: string;
  to: string;
  bars: ChartBar[];
  max: number;
  total: number;
  count: number;
}

const DAY_MS = 86_400_000;

/** Every day from..to (YYYY-MM-DD, inclusive). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** One chart per currency with a bar for every day of the range (empty days have height 0). */
export function dayCharts(range: { from: string; to: string }, rows: { day: string; currency: Currency; amount: number; count: number }[]): DayChart[] {
  const days = daysBetween(range.from, range.to);
  const currencies = [...new Set(rows.map((r) => r.currency))].sort();
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  const slot = CHART.width / Math.max(1, days.length);
  const barWidth = Math.max(1, Math.round(slot * 0.8 * 100) / 100);
  return currencies.map((currency) => {
    const byDay = new Map(rows.filter((r) => r.currency === currency).map((r) => [r.day, r]));
    const max = Math.max(0, ...[...byDay.values()].map((r) => r.amount));
    const bars = days.map((day, i) => {
      const amount = byDay.get(day)?.amount ?? 0;
      // Integer arithmetic on minor units up to here; the pixel height is the only rounding.
      const height = max > 0 ? Math.round((amount / max) * plotHeight * 100) / 100 : 0;
      return {
        day,
        amount,
        count: byDay.get(day)?.count ?? 0,
        x: Math.round((i * slot + (slot - barWidth) / 2) * 100) / 100,
        y: Math.round((CHART.top + plotHeight - height) * 100) / 100,
        width: barWidth,
        height,
      };
    });
    return {
      currency,
      from: range.from,
      to: range.to,
      bars,
      max,
      total: bars.reduce((s, b) => s + b.amount, 0),
      count: bars.reduce((s, b) => s + b.count, 0),
    };
  });
}
