/** Pay click: our /pay against the bare baseline, and the upstream calls one click makes. */
import { runLoad } from './load-runner.js';
import type { LoadResult } from './stats.js';
import { merge, percentile } from './stats.js';
import type { Stack } from './stack.js';

export interface PayRow {
  connections: number;
  ours: LoadResult;
  baseline: LoadResult;
}

async function click(url: string): Promise<{ status: number; location: string | null; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { redirect: 'manual' });
  await res.arrayBuffer();
  return { status: res.status, location: res.headers.get('location'), ms: performance.now() - t0 };
}

function expect303(what: string, r: { status: number }): void {
  if (r.status !== 303) throw new Error(`${what}: expected 303, got ${r.status}`);
}

/**
 * Repeat clicks on invoices whose checkouts are open, one per organisation over `orgs`
 * organisations (Xero takes 5 calls in flight per organisation: a shop's customers do not click
 * 10 at once), at each concurrency. Ours and the baseline alternate in `rounds` short runs each,
 * so a busy neighbour on the machine hits both alike.
 */
export async function benchRepeatClicks(stack: Stack, concurrencies: number[], durationSeconds: number, orgs: number, rounds = 2): Promise<PayRow[]> {
  const paths = await stack.payPathsOver(orgs, `BENCH-REPEAT-${stack.engine}`);
  for (const path of paths) {
    expect303('first click (gateway)', await click(stack.gatewayUrl + path));
    expect303('first click (baseline)', await click(stack.baselineUrl + path.replace('/pay?', '/pay-first?')));
  }
  const rows: PayRow[] = [];
  for (const connections of concurrencies) {
    const oursRuns: LoadResult[] = [];
    const baseRuns: LoadResult[] = [];
    for (let round = 0; round < rounds; round++) {
      const common = { connections, durationSeconds: durationSeconds / rounds, warmupSeconds: round === 0 ? 1 : 0, raw: true, paths };
      oursRuns.push(await runLoad({ ...common, url: stack.gatewayUrl + paths[0] }));
      baseRuns.push(await runLoad({ ...common, url: stack.baselineUrl + paths[0] }));
    }
    const ours = merge(oursRuns);
    const baseline = merge(baseRuns);
    for (const [who, r] of [
      ['gateway', ours],
      ['baseline', baseline],
    ] as const) {
      const other = r.requests - (r.statuses['303'] ?? 0);
      if (other || r.errors)
        throw new Error(`${who} at ${connections} connections: ${other} non-303 answers, ${r.errors} errors ${JSON.stringify(r.statuses)}`);
    }
    rows.push({ connections, ours, baseline });
  }
  return rows;
}

export interface FirstClickResult {
  clicks: number;
  oursP50: number;
  baselineP50: number;
}

/** Sequential first clicks (a new invoice each time): Xero read + Xendit invoice creation. */
export async function benchFirstClicks(stack: Stack, clicks: number): Promise<FirstClickResult> {
  const ours: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < clicks; i++) {
    const a = stack.addInvoice(`BENCH-FIRST-${stack.engine}-A${i}`);
    const b = stack.addInvoice(`BENCH-FIRST-${stack.engine}-B${i}`);
    const r1 = await click(stack.gatewayUrl + stack.payPath(a.invoiceNumber));
    const r2 = await click(stack.baselineUrl + stack.payPath(b.invoiceNumber).replace('/pay?', '/pay-first?'));
    expect303('first click (gateway)', r1);
    expect303('first click (baseline)', r2);
    if (i > 0) {
      // the first pair warms up
      ours.push(r1.ms);
      base.push(r2.ms);
    }
  }
  return { clicks: ours.length, oursP50: percentile(ours, 50), baselineP50: percentile(base, 50) };
}

export interface CallCount {
  xero: string[];
  xendit: string[];
}

/** Upstream API calls one click makes, from the simulators' own request logs (token requests excluded). */
export async function countUpstreamCalls(stack: Stack): Promise<{ first: CallCount; repeat: CallCount }> {
  const { invoiceNumber } = stack.addInvoice(`BENCH-COUNT-${stack.engine}`);
  const url = stack.gatewayUrl + stack.payPath(invoiceNumber);
  const measure = async (): Promise<CallCount> => {
    stack.sims.xero.test.clearRequests();
    stack.sims.xendit.test.clearRequests();
    expect303('counted click', await click(url));
    return {
      xero: stack.sims.xero.test
        .requests()
        .filter((r) => r.path !== '/connect/token')
        .map((r) => `${r.method} ${r.path}`),
      xendit: stack.sims.xendit.test.requests().map((r) => `${r.method} ${r.path}`),
    };
  };
  const first = await measure();
  const repeat = await measure();
  return { first, repeat };
}
