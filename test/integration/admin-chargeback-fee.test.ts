import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { getSims } from '../helpers/sims.js';
import { page, seedAdminCast, signedIn } from '../helpers/admin.js';
import { adminPaymentPath, xeroEntryUrl } from '../../app/paths.js';
import { jobRow } from '../../app/jobs/enqueue.js';
import { formatMoney } from '../../app/money.js';
import type { ChargebackFeeRead } from '../../app/store/refunds.js';

/**
 * A payment's page (createApp, read with cheerio) shows Xendit's fee on each chargeback booked:
 * what Xendit charged, where it stands (waiting for Xendit, none, inside the chargeback, booked,
 * in review, going into Xero, not booked) and, booked, a link to its entry in Xero by its kind.
 */
describeEachDatabase('admin payment page: the fee of each chargeback, its state and its Xero entry', ({ db }) => {
  let h: Harness;
  let xeroUrl: string;
  beforeEach(async () => {
    xeroUrl = (await getSims()).xeroUrl;
    h = await createHarness(db(), { env: { XERO_APP_URL: xeroUrl } });
    await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  const FEE: ChargebackFeeRead = { txnId: 'txn_1', fee: 16_650, feeTax: 1_650, withheld: 0, amount: 100_000, inAmount: false };

  async function paid() {
    return h.stores.payments.getOrCreate(
      {
        id: randomUUID(),
        merchantId: h.merchant.id,
        checkoutId: null,
        xenditInvoiceId: `xv-${randomUUID()}`,
        xeroInvoiceId: `xero-inv-${randomUUID()}`,
        currency: 'IDR',
        amount: 1_000_000,
        fee: 2900,
        paidAt: h.clock(),
        reference: 'Xendit xv',
      },
      h.clock(),
    );
  }

  /** A chargeback of the payment booked in Xero (credit note, cash refund), its fee as `fee` says, its LOST job in `job`. */
  async function chargeback(
    paymentId: string,
    disputeId: string,
    o: { fee?: ChargebackFeeRead; booked?: { id: string; kind: 'spend' | 'journal' }; job?: 'done' | 'needs_review' | 'queued'; error?: string } = {},
  ) {
    const now = h.clock();
    const r = await h.stores.refunds.getOrCreate(
      {
        id: randomUUID(),
        kind: 'chargeback',
        merchantId: h.merchant.id,
        paymentId,
        xenditRefundId: disputeId,
        currency: 'IDR',
        amount: 100_000,
        reason: 'chargeback',
        refundedAt: now,
      },
      now,
    );
    await h.stores.refunds.recorded(r.id, `cash-${disputeId}`, now);
    if (o.fee) await h.stores.refunds.noteChargebackFee(r.id, o.fee, now);
    if (o.booked) await h.stores.refunds.feeBooked(r.id, o.booked.id, o.booked.kind, now);
    if (o.error) await h.stores.refunds.noteError(r.id, o.error, now);
    if (o.job) {
      // Its run far ahead: nothing here runs it, the page reads its state.
      const row = jobRow('record-dispute', { merchantId: h.merchant.id, xenditDisputeId: disputeId, status: 'LOST' }, now, {
        runAt: new Date(now.getTime() + 86_400_000),
      });
      assert.ok(await h.stores.jobs.insert(row));
      await h.stores.db
        .updateTable('jobs')
        .set({ state: o.job, last_error: o.error ?? null })
        .where('dedupe_key', '=', row.dedupe_key)
        .execute();
    }
    return r;
  }

  const feeLine = ($: cheerio.CheerioAPI, disputeId: string) => {
    const li = $('#timeline li.refund').filter((_, el) => $(el).find('code').first().text() === disputeId);
    assert.equal(li.length, 1, `the chargeback ${disputeId} on the timeline`);
    const div = li.find('.chargeback-fee');
    return { state: div.attr('data-state'), text: div.text().replace(/\s+/g, ' ').trim(), link: div.find('a.xero-link').attr('href') };
  };

  it('each state in words, the amount Xendit charged, and a link to the Spend Money or the manual journal', async () => {
    const p = await paid();
    await chargeback(p.id, 'dp_spend', { fee: FEE, booked: { id: 'bt-1', kind: 'spend' }, job: 'done' });
    await chargeback(p.id, 'dp_journal', { fee: { ...FEE, txnId: 'txn_2' }, booked: { id: 'mj-1', kind: 'journal' }, job: 'done' });
    await chargeback(p.id, 'dp_waiting', { job: 'done' });
    await chargeback(p.id, 'dp_none', { fee: { ...FEE, txnId: 'txn_3', fee: 0, feeTax: 0 }, job: 'done' });
    await chargeback(p.id, 'dp_inside', { fee: { ...FEE, txnId: 'txn_4', inAmount: true }, job: 'done' });
    await chargeback(p.id, 'dp_review', { fee: { ...FEE, txnId: 'txn_5' }, job: 'needs_review', error: 'withholding tax account: none configured' });
    await chargeback(p.id, 'dp_queued', { fee: { ...FEE, txnId: 'txn_6' }, job: 'queued' });
    await chargeback(p.id, 'dp_billed', { fee: { ...FEE, txnId: 'txn_7' }, job: 'done' });

    const agent = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(agent, adminPaymentPath(p.id));
    const amount = formatMoney(16_650, 'IDR', 'en').replace(/\s+/g, ' ');
    const spend = feeLine($, 'dp_spend');
    assert.deepEqual(
      [spend.state, spend.text, spend.link],
      ['booked', `Xendit's fee on it: ${amount} — booked in Xero (Spend Money) Open in Xero`, xeroEntryUrl(xeroUrl, 'spend', 'bt-1')],
    );
    assert.equal(spend.link, `${xeroUrl}/Bank/ViewTransaction.aspx?bankTransactionID=bt-1`);
    const journal = feeLine($, 'dp_journal');
    assert.deepEqual([journal.state, journal.link], ['booked', `${xeroUrl}/Journal/View.aspx?invoiceID=mj-1`]);
    assert.match(journal.text, /\(manual journal\)/);
    assert.deepEqual(
      Object.fromEntries(
        ['dp_waiting', 'dp_none', 'dp_inside', 'dp_review', 'dp_queued', 'dp_billed'].map((id) => [id, [feeLine($, id).state, feeLine($, id).link]]),
      ),
      {
        dp_waiting: ['waiting', undefined],
        dp_none: ['none', undefined],
        dp_inside: ['inside', undefined],
        dp_review: ['review', undefined],
        dp_queued: ['toBook', undefined],
        dp_billed: ['notBooked', undefined],
      },
    );
    assert.equal(feeLine($, 'dp_waiting').text, "Xendit's fee on it — waiting for Xendit to show it");
    assert.equal(feeLine($, 'dp_review').text, `Xendit's fee on it: ${amount} — needs review — withholding tax account: none configured`);
    assert.match(feeLine($, 'dp_inside').text, /taken out of the chargeback's own amount/);

    // In Indonesian, keyed as in English.
    const id = cheerio.load((await agent.get(`${adminPaymentPath(p.id)}?lang=id`).expect(200)).text);
    assert.equal(feeLine(id, 'dp_waiting').text, 'Biaya Xendit atasnya — menunggu Xendit menampilkannya');
    assert.match(feeLine(id, 'dp_journal').text, /tercatat di Xero \(jurnal manual\) Buka di Xero/);
  });

  it('a refund, or a chargeback not booked yet, shows no fee line', async () => {
    const p = await paid();
    const now = h.clock();
    await h.stores.refunds.getOrCreate(
      {
        id: randomUUID(),
        kind: 'chargeback',
        merchantId: h.merchant.id,
        paymentId: p.id,
        xenditRefundId: 'dp_pending',
        currency: 'IDR',
        amount: 100_000,
        reason: 'chargeback',
        refundedAt: now,
      },
      now,
    );
    const refund = await h.stores.refunds.getOrCreate(
      {
        id: randomUUID(),
        merchantId: h.merchant.id,
        paymentId: p.id,
        xenditRefundId: 'rfd_1',
        currency: 'IDR',
        amount: 50_000,
        reason: 'REQUESTED_BY_CUSTOMER',
        refundedAt: now,
      },
      now,
    );
    await h.stores.refunds.recorded(refund.id, 'cash-rfd', now);
    const agent = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(agent, adminPaymentPath(p.id));
    assert.equal($('#timeline li.refund').length, 2);
    assert.equal($('#timeline .chargeback-fee').length, 0);
  });
});
