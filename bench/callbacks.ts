/** Callback acknowledgement under a steady rate while Xero hangs every call. */
import { randomUUID } from 'node:crypto';
import { runLoad } from './load-runner.js';
import type { LoadResult } from './stats.js';
import type { Latency, Stack } from './stack.js';

export interface PaidEvent {
  id: string;
  externalId: string;
  amount: number;
}

/**
 * `n` open checkouts whose Xendit invoices are PAID at the simulator (no callback sent yet), so the
 * callbacks the bench sends are all new events that the worker can act on.
 */
export async function prepareCallbacks(stack: Stack, latency: Latency, n: number): Promise<PaidEvent[]> {
  const saved = { ...latency };
  Object.assign(latency, { xeroMs: 0, xenditMs: 0 }); // setup at full speed
  try {
    const events: PaidEvent[] = [];
    const batch = 25;
    for (let i = 0; i < n; i += batch) {
      const created = await Promise.all(
        Array.from({ length: Math.min(batch, n - i) }, async (_, j) => {
          const externalId = `bench-cb-${stack.engine}-${i + j}-${randomUUID()}`;
          const inv = await stack.xendit.createInvoice(stack.merchant.xenditSecretKey, {
            externalId,
            currency: 'IDR',
            amount: 150000,
            description: 'bench',
            invoiceDurationSeconds: 86400,
            successRedirectUrl: 'https://merchant.example/paid',
            failureRedirectUrl: 'https://merchant.example/failed',
          });
          return { id: inv.id, externalId, amount: 150000, url: inv.invoiceUrl };
        }),
      );
      const now = new Date();
      await stack.stores.db
        .insertInto('checkouts')
        .values(
          created.map((c, j) => ({
            id: randomUUID(),
            merchant_id: stack.merchant.id,
            xero_invoice_id: `bench-cb-xero-${i + j}`,
            invoice_number: `CB-${i + j}`,
            currency: 'IDR',
            amount: c.amount,
            external_id: c.externalId,
            xendit_invoice_id: c.id,
            invoice_url: c.url,
            expires_at: new Date(now.getTime() + 86400_000),
            status: 'open' as const,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
      for (const c of created) await stack.sims.xendit.pay(c.id, { sendCallback: false });
      events.push(...created.map(({ id, externalId, amount }) => ({ id, externalId, amount })));
    }
    return events;
  } finally {
    Object.assign(latency, saved);
  }
}

/** Bodies shaped like Xendit's invoice PAID callback. */
export function callbackBodies(events: PaidEvent[]): string[] {
  return events.map((e) =>
    JSON.stringify({
      id: e.id,
      external_id: e.externalId,
      user_id: 'bench-user',
      is_high: false,
      payment_method: 'BANK_TRANSFER',
      status: 'PAID',
      merchant_name: 'Bench',
      amount: e.amount,
      paid_amount: e.amount,
      bank_code: 'BCA',
      paid_at: new Date().toISOString(),
      payer_email: 'budi@example.co.id',
      description: 'bench',
      fees_paid_amount: 4350,
      adjusted_received_amount: e.amount - 4350,
      currency: 'IDR',
      payment_channel: 'BCA',
      payment_destination: '8808999939380502',
    }),
  );
}

export interface CallbackResult {
  sent: number;
  load: LoadResult;
  stored: number;
  jobs: number;
  lost: number;
}

/**
 * A steady `rate` of distinct PAID callbacks for `seconds`, with every Xero call hanging and the
 * worker running, after `warmupSeconds` at the same rate (new connections, pool and code paths:
 * their latencies are reported apart; their events count for loss like the others).
 */
export async function benchCallbacks(stack: Stack, latency: Latency, rate: number, seconds: number, warmupSeconds = 1): Promise<CallbackResult> {
  const events = await prepareCallbacks(stack, latency, rate * (seconds + warmupSeconds));
  const before = { events: await stack.count('callback_events'), jobs: await stack.count('jobs') };
  stack.sims.xero.faults.hang('forever', { times: 1_000_000 });
  // Where npm start's deployment runs it: its own process on PostgreSQL, the web's with the embedded database.
  const worker = stack.separateWorker ? await stack.separateWorker() : stack.worker;
  worker.start(500, stack.workerConcurrency);
  try {
    const load = await runLoad({
      url: stack.gatewayUrl + stack.callbackPath,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-callback-token': stack.callbackToken },
      bodies: callbackBodies(events),
      // Enough connections that a slow answer never holds back the offered rate (Xendit does not wait).
      connections: 50,
      overallRate: rate,
      warmupSeconds,
    });
    const stored = (await stack.count('callback_events')) - before.events;
    const jobs = (await stack.count('jobs')) - before.jobs;
    return { sent: events.length, load, stored, jobs, lost: events.length - stored };
  } finally {
    const stopping = worker.stop();
    stack.sims.xero.faults.reset(); // frees the job stuck on a hanging Xero call
    await stopping;
  }
}
