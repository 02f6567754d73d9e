/**
 * What a repeat click (a payer clicking the Xero link again for a checkout that exists) asks of the
 * database and of Xero: the path every customer's reload waits on, and the one `npm run bench`
 * measures. Counted, never timed: a statement added to it fails here, whatever the machine.
 */
import { strict as assert } from 'node:assert';
import request from 'supertest';
import { sql } from 'kysely';
import { connect, type Db } from '../../app/store/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { countedDatabase, type Counted } from '../helpers/statement-count.js';
import { UNREACHED_XERO_LIMITS } from '../../bench/stack.js';

/** The bench's gateway (bench/stack.ts gatewayConfig): limits no click reaches, and every click reads Xero. */
const BENCH_ENV = {
  PAY_RATE_LIMIT_PER_IP: '1000000000',
  PAY_RATE_LIMIT_PER_SHORTCODE: '1000000000',
  PAY_RATE_LIMIT_PER_INVOICE: '1000000000',
  PAY_UNKNOWN_PER_WINDOW: '1000000000',
  PAY_RATE_LIMIT_PER_CLIENT: '1000000000',
  PAY_UNKNOWN_PER_CLIENT: '1000000000',
  PAY_UNKNOWN_PER_NETWORK: '1000000000',
  PAY_UNKNOWN_XERO_PERCENT: '100',
  PAY_READ_REUSE_SECONDS: '0',
  PAY_INVOICE_XERO_PERCENT: '100',
  PAY_KNOWN_XERO_PERCENT: '100',
};

describe('A repeat pay click: statements and Xero calls', () => {
  let counted: Awaited<ReturnType<typeof countedDatabase>>;
  let plain: Db;
  let h: Harness | undefined;
  before(async () => {
    counted = await countedDatabase();
    plain = connect(counted.url, { poolSize: 1 });
  });
  afterEach(async () => h?.close());
  after(async () => {
    await plain.destroy();
    await counted.close();
  });

  /** The click's Xero budget slot is freed just after its answer is sent: waited for, by turns of the event loop, not by time. */
  async function slotsFreed(): Promise<void> {
    for (let turn = 0; turn < 10_000; turn++) {
      const { rows } = await sql<{ n: string }>`select count(*) as n from xero_slots`.execute(plain);
      if (Number(rows[0].n) === 0) return;
      await new Promise((r) => setImmediate(r));
    }
    assert.fail('the click never freed its Xero budget slot');
  }

  async function click(url: string): Promise<Counted & { xero: number }> {
    await slotsFreed();
    h!.sims.xero.test.clearRequests();
    counted.start();
    await request(h!.app).get(url).expect(303);
    await slotsFreed();
    const c = await counted.stop();
    return { ...c, xero: h!.sims.xero.test.countRequests({ pathPrefix: '/api.xro/' }) };
  }

  const summary = (c: Counted & { xero: number }) => ({
    xero: c.xero,
    roundTrips: c.roundTrips,
    transactions: c.transactions,
    statements: c.statements,
  });
  const explain = (c: Counted) => `statements run:\n  ${c.statementTexts.map((t) => t.slice(0, 150)).join('\n  ')}`;

  it("as the bench runs it (every click reads the invoice fresh from Xero): one Xero read, the admission statement and the budget slot's release", async () => {
    h = await createHarness(counted.db, { xeroLimits: UNREACHED_XERO_LIMITS, env: BENCH_ENV });
    const inv = h.addInvoice({});
    await click(h.payUrl(inv.invoiceNumber)); // the first click makes the checkout
    await click(h.payUrl(inv.invoiceNumber)); // ... and the next one knows the invoice's id
    const repeat = await click(h.payUrl(inv.invoiceNumber));
    assert.deepEqual(summary(repeat), { xero: 1, roundTrips: 2, transactions: 0, statements: 29 }, explain(repeat));
  });

  it('with PAY_READ_REUSE_SECONDS: none to Xero within it; after it, a fresh Xero read and its note on the checkout', async () => {
    h = await createHarness(counted.db, { xeroLimits: UNREACHED_XERO_LIMITS, env: { ...BENCH_ENV, PAY_READ_REUSE_SECONDS: '30' } });
    const inv = h.addInvoice({});
    await click(h.payUrl(inv.invoiceNumber));
    await click(h.payUrl(inv.invoiceNumber));
    const reused = await click(h.payUrl(inv.invoiceNumber));
    assert.deepEqual(summary(reused), { xero: 0, roundTrips: 1, transactions: 0, statements: 13 }, explain(reused));
    h.clock.advance(31_000);
    const fresh = await click(h.payUrl(inv.invoiceNumber));
    assert.deepEqual(summary(fresh), { xero: 1, roundTrips: 3, transactions: 0, statements: 31 }, explain(fresh));
  });
});
