/**
 * What Xendit's invoice callbacks ask of the database: the path `npm run bench` measures at 200/s
 * while Xero hangs. Counted, never timed: a statement added to it fails here, whatever the machine.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createHarness, type Harness } from '../helpers/harness.js';
import { countedDatabase, type Counted } from '../helpers/statement-count.js';

describe('Xendit invoice callbacks: statements', () => {
  let counted: Awaited<ReturnType<typeof countedDatabase>>;
  let h: Harness | undefined;
  before(async () => (counted = await countedDatabase()));
  afterEach(async () => h?.close());
  after(async () => counted.close());

  /** `n` open checkouts whose invoices Xendit calls back about, stored before counting starts. */
  async function checkouts(n: number): Promise<Array<{ id: string; external_id: string; status: 'PAID' }>> {
    const now = h!.clock();
    const rows = Array.from({ length: n }, (_, i) => ({
      id: randomUUID(),
      merchant_id: h!.merchant.id,
      xero_invoice_id: `xero-${i}-${randomUUID()}`,
      invoice_number: `CB-${i}`,
      currency: 'IDR',
      amount: 150000,
      external_id: `ext-${randomUUID()}`,
      xendit_invoice_id: `inv-${randomUUID()}`,
      invoice_url: 'https://checkout.example/x',
      expires_at: new Date(now.getTime() + 86_400_000),
      status: 'open' as const,
      created_at: now,
      updated_at: now,
    }));
    await counted.db.insertInto('checkouts').values(rows).execute();
    return rows.map((r) => ({ id: r.xendit_invoice_id, external_id: r.external_id, status: 'PAID' as const }));
  }

  const send = (body: unknown) =>
    request(h!.app)
      .post(h!.callbackPath)
      .set('Content-Type', 'application/json')
      .set('x-callback-token', h!.merchant.callbackToken)
      .send(JSON.stringify(body))
      .expect(200);

  const summary = (c: Counted) => ({ roundTrips: c.roundTrips, transactions: c.transactions, statements: c.statements });
  const explain = (c: Counted) => `statements run:\n  ${c.statementTexts.map((t) => t.slice(0, 150)).join('\n  ')}`;

  it('a PAID callback, its token remembered: one round trip (callback_accept stores the event and its job)', async () => {
    h = await createHarness(counted.db);
    const [first, second] = await checkouts(2);
    await send(first); // the token is read once, then remembered
    counted.start();
    await send(second);
    const c = await counted.stop();
    assert.deepEqual(summary(c), { roundTrips: 1, transactions: 0, statements: 6 }, explain(c));
  });

  it('a burst of callbacks for one merchant whose token is not remembered: one read of the token for all of them', async () => {
    h = await createHarness(counted.db);
    const bodies = await checkouts(20);
    counted.start();
    await Promise.all(bodies.map(send));
    const c = await counted.stop();
    assert.equal(c.statementTexts.filter((t) => t.includes('callback_token_enc')).length, 1, explain(c));
    assert.deepEqual(summary(c), { roundTrips: 21, transactions: 0, statements: 121 }, explain(c));
  });
});
