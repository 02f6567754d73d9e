/**
 * Backlog drain: PAID events already stored (as after an outage) for many organisations; the Xero
 * simulator enforces 60 calls a minute and 5 in flight per organisation; the gateway runs as
 * `npm start` wires it (the shared Xero budget in the database, one worker process with
 * WORKER_CONCURRENCY jobs at once). Time is compressed: the simulator, the budget and the worker
 * share one clock that runs `compression` times faster than the wall clock, so "60 a minute" is
 * 60 per 60/compression real seconds. The ceiling is 60 calls per (compressed) minute per organisation.
 */
import { randomUUID } from 'node:crypto';
import { startSims, startStack, type Engine, type Latency } from './stack.js';
import { XERO_LIMITS } from '../app/store/xero-budget.js';
import { jobRow } from '../app/jobs/enqueue.js';

export interface DrainResult {
  orgs: number;
  events: number;
  recorded: number;
  compression: number;
  /** Wall-clock and simulated (compressed) seconds from the first claim to the last payment recorded. */
  seconds: number;
  simulatedSeconds: number;
  setupSeconds: number;
  xeroCalls: number;
  xero429: number;
  callsPerEvent: number;
  ceilingPerSecond: number; // 60/min per org × orgs, in simulated time
  achievedPerSecond: number; // Xero calls answered 2xx per simulated second
  needsReview: number;
  timedOut: boolean;
  /** Payments recorded per organisation per simulated minute. */
  perOrgPerMinute: number;
  /** Payments (or fees) of one organisation per Xero call (XERO_BATCH_SIZE). */
  batchSize: number;
  /** Xero calls by method, resource and status. */
  calls: Record<string, number>;
  /** Xendit calls (the drain's, setup left out) per payment recorded. */
  xenditCallsPerPayment: number;
  xenditCalls: Record<string, number>;
}

/** A clock `factor` times faster than the wall clock, starting at the next whole minute. */
export function compressedClock(factor: number) {
  let realStart = Date.now();
  let start = Math.ceil((realStart + 1) / 60_000) * 60_000;
  const clock = () => new Date(start + (Date.now() - realStart) * factor);
  /** Jumps ahead to the next whole minute, so a measured window starts with a fresh minute budget. */
  clock.toNextMinute = () => {
    const next = Math.ceil((clock().getTime() + 1) / 60_000) * 60_000;
    realStart = Date.now();
    start = next;
  };
  return clock;
}

export interface DrainOptions {
  orgs: number;
  eventsPerOrg: number;
  /** The shared clock runs this many times faster than the wall clock. */
  compression: number;
  /** The run stops after this many simulated minutes if the backlog is not drained by then. */
  windowMinutes: number;
  /** WORKER_CONCURRENCY of the one worker. */
  concurrency: number;
  /** XERO_BATCH_SIZE of the worker. */
  batchSize: number;
  /** Called as the worker starts on the backlog (bench/profile.ts starts its profiler there). */
  onStart?: () => void;
}

export async function benchDrain(engine: Engine, latency: Latency, o: DrainOptions): Promise<DrainResult> {
  const clock = compressedClock(o.compression);
  const sims = await startSims(latency, {
    now: clock,
    limits: { perMinute: XERO_LIMITS.perMinute, perDay: XERO_LIMITS.perDay, appPerMinute: XERO_LIMITS.appPerMinute, concurrent: XERO_LIMITS.maxInFlight },
  });
  const stack = await startStack(engine, sims, { clock, xeroLimits: XERO_LIMITS, workerConcurrency: o.concurrency, xeroBatchSize: o.batchSize });
  try {
    const setupStarted = performance.now();
    const merchantIds: string[] = [];
    for (let n = 0; n < o.orgs; n++) {
      const tag = `${engine}-${n}-${randomUUID().slice(0, 8)}`;
      const creds = { clientId: `drain-${tag}`, clientSecret: `s-${tag}`, shortCode: `!D${n}${tag.slice(-6)}`, key: `xnd_development_drain${tag}` };
      const org = sims.xero.addOrganisation({
        clientId: creds.clientId,
        clientSecret: creds.clientSecret,
        name: `Drain ${n}`,
        shortCode: creds.shortCode,
        baseCurrency: 'IDR',
      });
      const clearing = sims.xero.bankAccountFor(org.tenantId, 'Xendit');
      sims.xendit.registerAccount({ secretKey: creds.key, callbackToken: `t-${tag}`, businessName: `Drain ${n}` });
      const merchant = await stack.stores.merchants.add({
        name: `Drain ${n}`,
        shortCode: creds.shortCode,
        xero: { clientId: creds.clientId, clientSecret: creds.clientSecret, tenantId: '' },
        xenditSecretKey: creds.key,
        callbackToken: `t-${tag}`,
        clearingAccountId: clearing.accountId,
        clearingCurrency: 'IDR', // as the admin's account picker stores it: the click does not read it from Xero
        xeroTestOrganisation: true, // a simulated test company: test-key payments are recorded
      });
      merchantIds.push(merchant.id);
      // Each organisation's events: Xero invoices, paid Xendit invoices, our checkouts, the stored
      // callback events and their queued jobs, as the callback endpoint leaves them (in bulk, for speed).
      // Interleaved across organisations, as callbacks from many shops arrive.
      const rows = [];
      for (let i = 0; i < o.eventsPerOrg; i++) {
        const inv = sims.xero.addInvoice({
          tenantId: org.tenantId,
          type: 'ACCREC',
          status: 'AUTHORISED',
          currency: 'IDR',
          contact: { name: 'Budi' },
          lineItems: [{ description: 'Kopi', quantity: '1', unitAmount: '150000' }],
        });
        const externalId = `drain-${randomUUID()}`;
        const x = sims.xendit.createInvoice({ account: creds.key, currency: 'IDR', amount: 150000, externalId, description: inv.invoiceNumber });
        await sims.xendit.pay(x.id, { sendCallback: false });
        rows.push({ inv, x, externalId, checkoutId: randomUUID() });
      }
      // Queued as their callbacks arrive, after the payments, on the clock Xendit's paid_at is on.
      const queued = clock().getTime();
      const at = (i: number) => new Date(queued - (o.eventsPerOrg - i) * o.orgs - (o.orgs - n));
      const now = new Date(queued);
      for (let i = 0; i < rows.length; i += 500) {
        const batch = rows.slice(i, i + 500);
        await stack.stores.db
          .insertInto('checkouts')
          .values(
            batch.map((r) => ({
              id: r.checkoutId,
              merchant_id: merchant.id,
              xero_invoice_id: r.inv.invoiceId,
              invoice_number: r.inv.invoiceNumber,
              currency: 'IDR',
              amount: 150000,
              external_id: r.externalId,
              xendit_invoice_id: r.x.id,
              invoice_url: `${sims.xenditUrl}/checkout/${r.x.id}`,
              expires_at: new Date(now.getTime() + 86400_000),
              status: 'paid' as const,
              created_at: now,
              updated_at: now,
            })),
          )
          .execute();
        await stack.stores.db
          .insertInto('callback_events')
          .values(
            batch.map((r) => ({
              merchant_id: merchant.id,
              xendit_invoice_id: r.x.id,
              external_id: r.externalId,
              status: 'PAID',
              raw: JSON.stringify({ id: r.x.id, external_id: r.externalId, status: 'PAID' }),
              received_at: now,
            })),
          )
          .execute();
        await stack.stores.db
          .insertInto('jobs')
          .values(batch.map((r, j) => jobRow('record-payment', { merchantId: merchant.id, xenditInvoiceId: r.x.id }, at(i + j))))
          .execute();
      }
    }
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    const events = o.orgs * o.eventsPerOrg;
    const before = new Map(sims.xeroStatuses);
    const xenditBefore = new Map(sims.xenditCalls);
    const recordedCount = async () =>
      Number(
        (
          await stack.stores.db
            .selectFrom('payments')
            .select((eb) => eb.fn.countAll<string | number>().as('n'))
            .where('sync_state', '=', 'recorded')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const pending = async () =>
      Number(
        (
          await stack.stores.db
            .selectFrom('jobs')
            .select((eb) => eb.fn.countAll<string | number>().as('n'))
            .where('state', 'in', ['queued', 'running'])
            .executeTakeFirstOrThrow()
        ).n,
      );

    clock.toNextMinute();
    const t0 = performance.now();
    const c0 = clock().getTime();
    o.onStart?.();
    stack.worker.start(50, o.concurrency);
    let recorded = 0;
    let lastProgress = { at: t0, recorded: 0 };
    // Until every payment and its fee are in Xero (no job left), or the end of the window.
    const windowEnd = c0 + o.windowMinutes * 60_000;
    while (clock().getTime() < windowEnd) {
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(250, (windowEnd - clock().getTime()) / o.compression))));
      if ((await pending()) === 0) break;
      if (performance.now() - lastProgress.at > 10_000) {
        recorded = await recordedCount();
        process.stdout.write(`  … ${recorded}/${events} recorded after ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
        lastProgress = { at: performance.now(), recorded };
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const simulatedSeconds = (clock().getTime() - c0) / 1000;
    const okAtEnd = [...sims.xeroStatuses].filter(([s]) => s >= 200 && s < 300).reduce((sum, [s, n]) => sum + n - (before.get(s) ?? 0), 0);
    await stack.worker.stop();
    recorded = await recordedCount();
    const needsReview = Number(
      (
        await stack.stores.db
          .selectFrom('jobs')
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .where('state', '=', 'needs_review')
          .executeTakeFirstOrThrow()
      ).n,
    );
    const delta = (status: (s: number) => boolean) =>
      [...sims.xeroStatuses].filter(([s]) => status(s)).reduce((sum, [s, n]) => sum + n - (before.get(s) ?? 0), 0);
    const ok = okAtEnd;
    return {
      orgs: o.orgs,
      events,
      recorded,
      compression: o.compression,
      seconds,
      simulatedSeconds,
      setupSeconds,
      xeroCalls: delta(() => true),
      xero429: delta((s) => s === 429),
      callsPerEvent: delta((s) => s >= 200 && s < 300) / Math.max(1, recorded),
      ceilingPerSecond: (o.orgs * XERO_LIMITS.perMinute) / 60,
      achievedPerSecond: ok / simulatedSeconds,
      needsReview,
      timedOut: recorded < events,
      perOrgPerMinute: recorded / o.orgs / (simulatedSeconds / 60),
      batchSize: o.batchSize,
      calls: Object.fromEntries([...sims.xeroCalls].sort()),
      xenditCallsPerPayment: [...sims.xenditCalls].reduce((sum, [k, n]) => sum + n - (xenditBefore.get(k) ?? 0), 0) / Math.max(1, recorded),
      xenditCalls: Object.fromEntries([...sims.xenditCalls].map(([k, n]) => [k, n - (xenditBefore.get(k) ?? 0)]).filter(([, n]) => Number(n) > 0)),
    };
  } finally {
    await stack.close();
    await sims.close();
  }
}
