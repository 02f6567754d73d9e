/**
 * Backlog drain: PAID events already stored (as after an outage) for several organisations, the
 * Xero simulator enforcing its per-organisation limit of 60 calls a minute, one worker (as `npm
 * start` runs it). Real time, no compression: the backlog is scaled down instead, so the run stays
 * short while each organisation still needs more calls than one minute allows.
 */
import { randomUUID } from 'node:crypto';
import type { Latency, Stack } from './stack.js';
import type { Merchant } from '../app/store/merchants.js';

export interface DrainResult {
  orgs: number;
  events: number;
  recorded: number;
  seconds: number;
  xeroCalls: number;
  xero429: number;
  ceilingPerSecond: number; // 60/min per org × orgs
  achievedPerSecond: number; // Xero calls answered 2xx per second
  timedOut: boolean;
}

export async function benchDrain(stack: Stack, latency: Latency, orgs: number, eventsPerOrg: number, timeLimitMs: number): Promise<DrainResult> {
  const { sims, stores } = stack;
  const saved = { ...latency };
  Object.assign(latency, { xeroMs: 0, xenditMs: 0 });
  const merchants: { merchant: Merchant; tenantId: string }[] = [];
  try {
    for (let o = 0; o < orgs; o++) {
      const tag = `${stack.engine}-${o}-${randomUUID().slice(0, 8)}`;
      const creds = { clientId: `drain-${tag}`, clientSecret: `s-${tag}`, shortCode: `!D${o}${tag.slice(-6)}`, key: `xnd_development_drain${tag}` };
      const org = sims.xero.addOrganisation({ clientId: creds.clientId, clientSecret: creds.clientSecret, name: `Drain ${o}`, shortCode: creds.shortCode, baseCurrency: 'IDR' });
      const clearing = sims.xero.bankAccountFor(org.tenantId, 'Xendit');
      sims.xendit.registerAccount({ secretKey: creds.key, callbackToken: `t-${tag}`, businessName: `Drain ${o}` });
      const merchant = await stores.merchants.add({
        name: `Drain ${o}`,
        shortCode: creds.shortCode,
        xero: { clientId: creds.clientId, clientSecret: creds.clientSecret, tenantId: '' },
        xenditSecretKey: creds.key,
        callbackToken: `t-${tag}`,
        clearingAccountId: clearing.accountId,
      });
      merchants.push({ merchant, tenantId: org.tenantId });
    }
    // Round-robin over organisations, as callbacks from many shops would arrive.
    for (let i = 0; i < eventsPerOrg; i++) {
      for (const { merchant, tenantId } of merchants) {
        const inv = sims.xero.addInvoice({
          tenantId,
          type: 'ACCREC',
          status: 'AUTHORISED',
          currency: 'IDR',
          contact: { name: 'Budi' },
          lineItems: [{ description: 'Kopi', quantity: '1', unitAmount: '150000' }],
        });
        const externalId = `drain-${randomUUID()}`;
        const x = await stack.xendit.createInvoice(merchant.xenditSecretKey, {
          externalId,
          currency: 'IDR',
          amount: 150000,
          description: inv.invoiceNumber,
          invoiceDurationSeconds: 86400,
          successRedirectUrl: 'https://merchant.example/paid',
          failureRedirectUrl: 'https://merchant.example/failed',
        });
        const now = new Date();
        const checkoutId = randomUUID();
        await stores.db
          .insertInto('checkouts')
          .values({
            id: checkoutId,
            merchant_id: merchant.id,
            xero_invoice_id: inv.invoiceId,
            invoice_number: inv.invoiceNumber,
            currency: 'IDR',
            amount: 150000,
            external_id: externalId,
            xendit_invoice_id: x.id,
            invoice_url: x.invoiceUrl,
            expires_at: new Date(now.getTime() + 86400_000),
            status: 'open',
            created_at: now,
            updated_at: now,
          })
          .execute();
        await sims.xendit.pay(x.id, { sendCallback: false });
        await stores.callbacks.record(
          { merchantId: merchant.id, xenditInvoiceId: x.id, externalId, status: 'PAID', raw: { id: x.id, status: 'PAID' } },
          { enqueueRecordPayment: true, checkout: { id: checkoutId, from: ['open'], to: 'paid' } },
          now,
        );
      }
    }
  } finally {
    Object.assign(latency, saved);
  }

  const events = orgs * eventsPerOrg;
  const limits = { ...sims.xero.limits };
  sims.xero.limits.perMinute = 60;
  sims.xero.state.orgs.forEach((o) => Object.assign(o.usage, { minute: 0, minuteCount: 0 }));
  const before = new Map(sims.xeroStatuses);
  const t0 = performance.now();
  const recordedCount = async () =>
    Number(
      (
        await stores.db
          .selectFrom('payments')
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .where('sync_state', '=', 'recorded')
          .where('merchant_id', 'in', merchants.map((m) => m.merchant.id))
          .executeTakeFirstOrThrow()
      ).n,
    );
  let recorded = 0;
  try {
    while (performance.now() - t0 < timeLimitMs) {
      if (!(await stack.worker.runOnce())) {
        recorded = await recordedCount();
        if (recorded >= events) break;
        await new Promise((r) => setTimeout(r, 100)); // jobs waiting out a Retry-After
      }
    }
    recorded = await recordedCount();
  } finally {
    Object.assign(sims.xero.limits, limits);
  }
  const seconds = (performance.now() - t0) / 1000;
  const delta = (status: (s: number) => boolean) =>
    [...sims.xeroStatuses].filter(([s]) => status(s)).reduce((sum, [s, n]) => sum + n - (before.get(s) ?? 0), 0);
  const ok = delta((s) => s >= 200 && s < 300);
  return {
    orgs,
    events,
    recorded,
    seconds,
    xeroCalls: delta(() => true),
    xero429: delta((s) => s === 429),
    ceilingPerSecond: orgs,
    achievedPerSecond: ok / seconds,
    timedOut: recorded < events,
  };
}
