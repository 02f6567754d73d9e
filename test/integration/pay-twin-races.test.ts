import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { createAtXendit } from '../../app/pay/create-at-xendit.js';
import type { PayDeps } from '../../app/pay/deps.js';
import type { PayAdmission } from '../../app/pay/admission.js';
import type { XeroInvoice } from '../../app/clients/xero/types.js';
import type { XenditInvoice } from '../../app/clients/xendit/types.js';
import { CREATION_WAIT_MS, type Checkout } from '../../app/store/checkouts.js';
import { externalIdFor } from '../../app/store/checkout-model.js';

const WAIT = 5000; // the harness's creation wait
const heading = (html: string) => cheerio.load(html)('h1').text().trim();

describeEachDatabase('pay: twins under one external id, around a click that finds one paid or loses its row', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db(), { creationWaitMs: WAIT });
  });
  afterEach(() => h.close());

  const statusAtXendit = (id: string) => h.sims.xendit.getInvoice(id)!.status;
  const expiryQueued = async (id: string) =>
    (await h.stores.jobs.list()).some((j) => j.kind === 'expire-duplicate' && j.state === 'queued' && j.payload.xenditInvoiceId === id);

  /**
   * Two clicks whose creates both got no answer; Xendit makes both invoices later (each e-mailed to
   * the payer), P then Q under the checkout's one external id, and the customer pays P from its
   * e-mail (its callback lost).
   */
  async function twoLateCreatesOnePaid(seed: Parameters<Harness['addInvoice']>[0] = {}) {
    const inv = h.addInvoice(seed);
    const lateP = h.sims.xendit.faults.createLate();
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    h.clock.advance(WAIT + 1);
    const lateQ = h.sims.xendit.faults.createLate(); // the take-over finds nothing yet; its create gets no answer either
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    const [p] = lateP.make();
    const [q] = lateQ.make();
    await h.sims.xendit.pay(p, { sendCallback: false });
    assert.deepEqual([statusAtXendit(p), statusAtXendit(q)], ['PAID', 'PENDING']);
    h.clock.advance(WAIT + 1);
    return { inv, p, q };
  }

  async function twinEndedAfterPaidAnswer(p: string, q: string) {
    // Right after "payment received": expired, or its expiry durably queued (not left to reconcile's next pass, ≥10 min on).
    assert.ok(statusAtXendit(q) === 'EXPIRED' || (await expiryQueued(q)), 'the payable twin is expired or queued for expiry before the answer');
    await h.worker.drain();
    assert.equal(statusAtXendit(q), 'EXPIRED', 'no second payable invoice left after "payment received"');
    assert.equal(statusAtXendit(p), 'PAID');
    assert.ok(await h.stores.payments.byXenditInvoice(h.merchant.id, p), 'the payment found by the click is recorded');
    assert.equal(await h.count('payments'), 1);
  }

  it('a take-over that finds one invoice paid and its twin payable: the twin is ended before "payment received"', async () => {
    const { inv, p, q } = await twoLateCreatesOnePaid();
    const res = await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('Accept-Language', 'en').expect(200);
    assert.equal(heading(res.text), 'Your payment was received');
    const [row] = await h.stores.checkouts.forInvoice(h.merchant.id, inv.invoiceId);
    assert.deepEqual([row.status, row.xenditInvoiceId], ['paid', p]);
    await twinEndedAfterPaidAnswer(p, q);
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, p))?.syncState, 'recorded');
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).filter((x) => x.status !== 'DELETED').length, 1);
  });

  // P paid the whole invoice after a cash part payment: an over-payment, for review (money.md); what matters here is Q.
  it('the amount due changed meanwhile (retireCreating): one invoice found paid, its payable twin ended before "payment received"', async () => {
    const { inv, p, q } = await twoLateCreatesOnePaid({ lineItems: [{ description: 'x', quantity: '1', unitAmount: '300000' }] });
    h.sims.xero.recordPayment(h.tenantId, inv.invoiceId, '100000', h.clearingAccountId); // a cash part payment
    const res = await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('Accept-Language', 'en').expect(200);
    assert.equal(heading(res.text), 'Your payment was received');
    await twinEndedAfterPaidAnswer(p, q);
  });

  it('the amount due changed meanwhile (retireCreating): one of two payable invoices paid while it is expired, the other ended before "payment received"', async () => {
    const inv = h.addInvoice({ lineItems: [{ description: 'x', quantity: '1', unitAmount: '300000' }] });
    const late = h.sims.xendit.faults.createLate(2);
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    h.clock.advance(WAIT + 1);
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    const ids = late.make();
    assert.equal(ids.length, 2);
    h.sims.xero.recordPayment(h.tenantId, inv.invoiceId, '100000', h.clearingAccountId); // a cash part payment
    h.clock.advance(WAIT + 1);
    // The click ends the old amount's invoices one by one; the customer pays the first as its expiry is on its way.
    const gates = ids.map((id) => ({ id, gate: h.sims.xendit.faults.gate({ method: 'POST', path: `/invoices/${id}/expire` }) }));
    const clicking = request(h.app)
      .get(h.payUrl(inv.invoiceNumber))
      .set('Accept-Language', 'en')
      .then((res) => res);
    const { id: paid } = await Promise.race(gates.map((g) => g.gate.untilParked(1).then(() => g)));
    await h.sims.xendit.pay(paid, { sendCallback: false });
    for (const g of gates) g.gate.open();
    const res = await clicking;
    assert.equal(res.status, 200);
    assert.equal(heading(res.text), 'Your payment was received');
    await twinEndedAfterPaidAnswer(
      paid,
      ids.find((id) => id !== paid)!,
    );
  });

  describe('a losing click and the click that took its row over', () => {
    const xeroInvoice = (inv: { invoiceId: string; invoiceNumber: string }): XeroInvoice => ({
      invoiceId: inv.invoiceId,
      invoiceNumber: inv.invoiceNumber,
      type: 'ACCREC',
      status: 'AUTHORISED',
      currencyCode: 'IDR',
      total: '150000',
      amountDue: '150000',
      amountPaid: '0',
      contactName: 'Budi',
      lineItems: [],
    });
    const payDeps = (over: Partial<PayDeps>): PayDeps => ({
      stores: h.stores,
      xero: h.deps.xero.forPurpose('pay-click'),
      xendit: h.sims.xenditClient,
      clock: h.clock,
      logger: pino({ level: 'silent' }),
      publicUrl: h.baseUrl,
      checkoutHosts: [],
      invoiceDurationSeconds: 86_400,
      creationWaitMs: WAIT,
      admit: undefined as unknown as PayAdmission,
      partHoldMs: 0,
      ...over,
    });

    /**
     * Click A claims the row and creates C, whose answer is slow; click B takes the row over, finds
     * C payable by its external id and adopts it, and is paused just before opening the checkout
     * with it. A gets its answer and loses its row meanwhile. `thenB` decides how B goes on.
     */
    async function raceOverC(thenB: 'opens' | 'dies') {
      const inv = h.addInvoice({});
      const id = randomUUID();
      const now = h.clock();
      const claimed = (await h.stores.checkouts.claim(
        {
          id,
          merchantId: h.merchant.id,
          xeroInvoiceId: inv.invoiceId,
          invoiceNumber: inv.invoiceNumber,
          currency: 'IDR',
          amount: 150_000,
          externalId: externalIdFor(inv.invoiceNumber, id),
          expiresAt: new Date(now.getTime() + 86_400_000),
        },
        now,
      )) as Checkout;
      let made!: (x: XenditInvoice) => void;
      const cMade = new Promise<XenditInvoice>((r) => (made = r));
      let answerA!: () => void;
      const answered = new Promise<void>((r) => (answerA = r));
      const slow = payDeps({
        xendit: {
          ...h.sims.xenditClient,
          createInvoice: async (key, x) => {
            const c = await h.sims.xenditClient.createInvoice(key, x);
            made(c);
            await answered; // Xendit made it; its answer is on its way
            return c;
          },
        },
      });
      const a = createAtXendit(slow, h.merchant, xeroInvoice(inv), claimed, now, 'en', { mayExistAtXendit: false });
      const c = await cMade;

      h.clock.advance(WAIT + 1);
      const fenceB = await h.stores.checkouts.takeOver(claimed.id, new Date(h.clock().getTime() - WAIT), h.clock());
      assert.ok(fenceB, 'B takes the stale row over');
      let paused!: () => void;
      const bPaused = new Promise<void>((r) => (paused = r));
      let resumeB!: () => void;
      const resumed = new Promise<void>((r) => (resumeB = r));
      const hooked = payDeps({
        beforeOpen: async () => {
          paused();
          await resumed;
          if (thenB === 'dies') throw new Error('click B died before opening the checkout');
        },
      });
      const b = createAtXendit(hooked, h.merchant, xeroInvoice(inv), claimed, fenceB!, 'en', { mayExistAtXendit: true });
      const bSettled = b.then(
        (opened) => ({ opened }),
        (err: unknown) => ({ err }),
      );
      await bPaused; // B adopted C and is about to open the checkout with it
      answerA();
      assert.equal(await a, null, 'A lost its row to B');
      resumeB();
      return { checkoutId: claimed.id, c: c.id, b: await bSettled };
    }

    it('the losing click does not expire the invoice the click that took its row over is opening the checkout with', async () => {
      const { checkoutId, c, b } = await raceOverC('opens');
      assert.ok('opened' in b && b.opened, 'B opened the checkout');
      assert.equal(b.opened.xenditInvoiceId, c, 'B opened it with C, which it adopted');
      assert.notEqual(statusAtXendit(c), 'EXPIRED', 'the customer is being sent to C: it must still be payable');
      h.clock.advance(2 * CREATION_WAIT_MS + 1);
      await h.worker.drain();
      assert.equal(statusAtXendit(c), 'PENDING', "the checkout's own invoice is never expired as a duplicate");
      const row = await h.stores.checkouts.byId(checkoutId);
      assert.deepEqual([row?.status, row?.xenditInvoiceId], ['open', c]);
    });

    it('the click that took the row over dies before opening it: the invoice the losing click made is expired by its job', async () => {
      const { c, b } = await raceOverC('dies');
      assert.ok('err' in b, 'B failed');
      h.clock.advance(2 * WAIT + 1);
      await h.worker.drain();
      // The worker waits twice its own creation wait before taking a row over from a click that may still open it.
      assert.equal(statusAtXendit(c), 'PENDING', 'not expired while a click may still open the row with it');
      h.clock.advance(2 * CREATION_WAIT_MS + 1);
      await h.worker.drain();
      assert.equal(statusAtXendit(c), 'EXPIRED', 'not left payable: no checkout was opened with it');
    });
  });
});
