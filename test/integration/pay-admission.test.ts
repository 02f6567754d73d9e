/**
 * A pay click's admission (app/pay/admission.ts, app/store/pay-clicks.ts): its rate-limit counters,
 * the merchant and the Xero budget for its one Xero call, taken in one statement. What the shared
 * budget must end up holding, whatever happens to the click.
 */
import { strict as assert } from 'node:assert';
import { sql } from 'kysely';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { createXeroBudget, type XeroLimits } from '../../app/store/xero-budget.js';

const LIMITS: Partial<XeroLimits> = { perMinute: 60, perDay: 1000, maxInFlight: 5 };

describeEachDatabase('Pay click admission and the shared Xero budget', ({ db }) => {
  let h: Harness;
  afterEach(() => h.close());

  const xeroApiCalls = () => h.sims.xero.test.countRequests({ pathPrefix: '/api.xro/' });
  async function budget() {
    const rows = await sql<{ key: string; minute_used: number; day_used: number }>`select key, minute_used, day_used from xero_calls order by key`.execute(
      db(),
    );
    const org = rows.rows.find((r) => r.key.startsWith('org:'));
    const app = rows.rows.find((r) => r.key.startsWith('app:'));
    const slots = await sql<{ n: number | string }>`select count(*) as n from xero_slots`.execute(db());
    return { orgMinute: org?.minute_used ?? 0, orgDay: org?.day_used ?? 0, appMinute: app?.minute_used ?? 0, slots: Number(slots.rows[0].n) };
  }
  /** A pay click's slot is freed just after its answer is sent. */
  async function settled() {
    // Bounded by time, not by a count of polls (a loaded machine frees it later than 100 × 10 ms).
    for (const until = Date.now() + 10_000; (await budget()).slots > 0 && Date.now() < until;) await new Promise((r) => setTimeout(r, 10));
    return budget();
  }

  it('counts each click as exactly the one Xero call it makes, and frees its in-flight slot after the answer', async () => {
    h = await createHarness(db(), { xeroLimits: LIMITS });
    await sql`truncate xero_calls, xero_slots`.execute(db());
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    h.clock.advance(31_000); // past PAY_READ_REUSE_SECONDS: the repeat click reads Xero again
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    assert.deepEqual(await settled(), { orgMinute: 2, orgDay: 2, appMinute: 2, slots: 0 });
    assert.equal(xeroApiCalls(), 2);
  });

  it('takes nothing from the Xero budget for a click refused by its rate limit or for an unknown payment link', async () => {
    h = await createHarness(db(), { xeroLimits: LIMITS, env: { PAY_RATE_LIMIT_PER_IP: '1', TRUST_PROXY: '1' } });
    await sql`truncate xero_calls, xero_slots`.execute(db());
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('X-Forwarded-For', '203.0.113.9').expect(303);
    for (let i = 0; i < 3; i++) await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('X-Forwarded-For', '203.0.113.9').expect(429);
    await request(h.app).get('/pay?invoiceNo=INV-1&shortCode=!nobody').set('X-Forwarded-For', '198.51.100.4').expect(404);
    assert.deepEqual(await settled(), { orgMinute: 1, orgDay: 1, appMinute: 1, slots: 0 });
  });

  it('gives the budget back when the Xero call is never made (token refused), so refused clicks cannot spend it', async () => {
    h = await createHarness(db(), { xeroLimits: LIMITS });
    await sql`truncate xero_calls, xero_slots`.execute(db());
    const inv = h.addInvoice({});
    h.sims.xero.faults.failNext(2, 503, { path: '/connect/token' });
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    assert.equal(xeroApiCalls(), 0);
    assert.deepEqual(await settled(), { orgMinute: 0, orgDay: 0, appMinute: 0, slots: 0 });
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    assert.deepEqual(await settled(), { orgMinute: 1, orgDay: 1, appMinute: 1, slots: 0 });
  });

  it('waits for an in-flight slot when the organisation is at its limit, then calls Xero', async () => {
    h = await createHarness(db(), { xeroLimits: { ...LIMITS, maxInFlight: 1 } });
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    await settled();
    h.clock.advance(31_000); // past PAY_READ_REUSE_SECONDS: the next click asks Xero
    // Another process holds the organisation's only slot.
    const other = createXeroBudget(db(), h.clock, { ...LIMITS, maxInFlight: 1 });
    const held = await other.acquire({ clientId: h.merchant.xero.clientId, tenantId: h.merchant.xero.tenantId }, 'read');
    assert.ok(held.ok);
    let answered = false;
    const click = request(h.app)
      .get(h.payUrl(inv.invoiceNumber))
      .then((res) => ((answered = true), res));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(answered, false, 'the click waits while the slot is held');
    await held.release({});
    assert.equal((await click).status, 303);
  });

  it('reads the merchant exactly as the merchant store does (every field, clearing accounts, timestamps)', async () => {
    h = await createHarness(db());
    await h.stores.merchants.setXeroDayLimit(h.merchant.id, 900);
    await sql`update merchants set xero_disconnected_at = ${new Date('2026-11-20T01:02:03.456Z')}, xero_disconnect_reason = 'test', sales_tax_type = 'OUTPUT' where id = ${h.merchant.id}`.execute(
      db(),
    );
    const expected = await h.stores.merchants.byId(h.merchant.id);
    const admitted = await h.stores.payClicks.admit({ shortCode: h.merchant.shortCode, counters: [] });
    assert.deepEqual(admitted.merchant, expected);
    assert.ok(Object.keys(expected!.clearingAccounts).length > 0 && expected!.xeroDisconnected && expected!.xeroDayLimit === 900);
    assert.equal((await h.stores.payClicks.admit({ shortCode: '!nobody', counters: [] })).merchant, null);
  });

  it("the day counters: an unknown link's; a known link's invoice, then all known links' unless over its invoice; a click refused before them counts none", async () => {
    h = await createHarness(db());
    await h.stores.merchants.setXeroDayLimit(h.merchant.id, 100);
    const now = h.clock();
    await h.stores.db
      .insertInto('open_invoice_numbers')
      .values(
        ['INV-A', 'INV-B'].map((n) => ({ merchant_id: h.merchant.id, invoice_number: n, seen_at: now, currency: 'IDR', amount_due: '100', total: '100' })),
      )
      .execute();
    // Of the merchant's own 100 calls a day: 2 for unknown links, 1% (but at least 2) per invoice, 3 for all known links.
    const day = {
      windowStart: now,
      perDay: 5000,
      unknownKey: 'u',
      unknownShare: 0.02,
      invoicePrefix: 'i:',
      invoiceShare: 0.01,
      invoiceMin: 2,
      knownKey: 'k',
      knownShare: 0.03,
    };
    const click = async (n: string, o: { known?: boolean; minute?: number } = {}) => {
      const admitted = await h.stores.payClicks.admit({
        shortCode: h.merchant.shortCode,
        counters: o.minute === undefined ? [] : [{ key: 'minute', windowStart: now, limit: o.minute }],
        groups: {
          numbers: [n],
          link: n,
          own: o.known ? { currency: 'IDR', amounts: ['100'] } : { amounts: [] },
          perInvoice: [],
          client: { known: [], unknown: [] },
          known: [],
          unknown: [],
          day,
          now,
        },
      });
      assert.equal(admitted.knownLink, o.known === true);
      return { hits: Object.fromEntries(admitted.hits), limits: Object.fromEntries(admitted.limits) };
    };
    assert.deepEqual(await click('NOPE-1'), { hits: { u: 1 }, limits: { u: 2 } });
    assert.deepEqual(await click('INV-A'), { hits: { u: 2 }, limits: { u: 2 } }, 'a real number without its link is an unknown one');
    assert.deepEqual(await click('NOPE-1'), { hits: { u: 3 }, limits: { u: 2 } });
    assert.deepEqual(await click('INV-A', { known: true }), { hits: { 'i:INV-A': 1, k: 1 }, limits: { 'i:INV-A': 2, k: 3 } });
    assert.deepEqual(await click('INV-A', { known: true }), { hits: { 'i:INV-A': 2, k: 2 }, limits: { 'i:INV-A': 2, k: 3 } });
    assert.deepEqual(
      await click('INV-A', { known: true }),
      { hits: { 'i:INV-A': 3 }, limits: { 'i:INV-A': 2 } },
      'over its invoice: not counted against all known links',
    );
    assert.deepEqual(await click('INV-B', { known: true, minute: 0 }), { hits: { minute: 1 }, limits: {} }, 'refused by the minute: no day counted');
    assert.deepEqual(await click('INV-B', { known: true }), { hits: { 'i:INV-B': 1, k: 3 }, limits: { 'i:INV-B': 2, k: 3 } });
    assert.deepEqual(await click('INV-B', { known: true }), { hits: { 'i:INV-B': 2, k: 4 }, limits: { 'i:INV-B': 2, k: 3 } });

    // A client's own day of unknown links stays below the merchant's (2 here): 1, whatever it asks; over it, the merchant's is not counted.
    const own = { ...day, unknownKey: 'u2', clientUnknownKey: 'c', clientUnknownMax: 10 };
    const clientClick = async () => {
      const admitted = await h.stores.payClicks.admit({
        shortCode: h.merchant.shortCode,
        counters: [],
        groups: {
          numbers: ['NOPE-9'],
          link: 'NOPE-9',
          own: { amounts: [] },
          perInvoice: [],
          client: { known: [], unknown: [] },
          known: [],
          unknown: [],
          day: own,
          now,
        },
      });
      return { hits: Object.fromEntries(admitted.hits), limits: Object.fromEntries(admitted.limits) };
    };
    assert.deepEqual(await clientClick(), { hits: { c: 1, u2: 1 }, limits: { c: 1, u2: 2 } });
    assert.deepEqual(await clientClick(), { hits: { c: 2 }, limits: { c: 1 } }, "over the client's day: the merchant's not counted");
  });

  it('refunds a ticket once: a second refund changes nothing', async () => {
    h = await createHarness(db(), { xeroLimits: LIMITS });
    await sql`truncate xero_calls, xero_slots`.execute(db());
    const shared = createXeroBudget(db(), h.clock, LIMITS);
    const scope = { clientId: 'refund-client', tenantId: 'refund-tenant' };
    const [a, b] = [await shared.acquire(scope, 'read'), await shared.acquire(scope, 'read')];
    assert.ok(a.ok && b.ok);
    assert.deepEqual(await budget(), { orgMinute: 2, orgDay: 2, appMinute: 2, slots: 2 });
    await a.refund();
    await a.refund();
    assert.deepEqual(await budget(), { orgMinute: 1, orgDay: 1, appMinute: 1, slots: 1 });
    await b.release({});
    assert.deepEqual(await budget(), { orgMinute: 1, orgDay: 1, appMinute: 1, slots: 0 });
  });
});
