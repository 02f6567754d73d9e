import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { reportAroundToday } from '../helpers/report.js';
import { createHarness, REFUNDABLE, paidThroughGateway, refundWebhook, type Harness } from '../helpers/harness.js';

/**
 * A fee given back is judged by the payment, not by today's settings: the report expects it back
 * in Xero only for a payment whose fee the gateway posted, and the return-fee job books it where
 * that fee was posted, whatever fee posting, fee billing or the clearing account are today.
 */
describeEachDatabase('fees given back follow the payment, not the settings of today', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const report = () => reportAroundToday(h);
  const feeBackRows = async (invoiceId: string) =>
    (await report()).rows.filter((r) => r.xenditInvoiceId === invoiceId && r.status === 'missing_in_xero' && /gave the fee back/.test(r.note));
  const receipts = () => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference.startsWith('Xendit fee returned'));
  const journalsBack = () => h.sims.xero.manualJournalsOf(h.tenantId).filter((j) => j.narration.startsWith('Xendit fee returned'));
  const paymentOf = async (invoiceId: string) => (await h.stores.payments.byXenditInvoice(h.merchant.id, invoiceId))!;

  /** Paid and settled, its fee (and 479 VAT) through the post-fee job as the settings then say. */
  async function paid() {
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE, beforeCallback: (x) => void (h.sims.xendit.getInvoice(x.id)!.feeTax = 479) });
    await h.sims.xendit.settle(x.id);
    await h.worker.drain();
    return { x, payment: await paymentOf(x.id) };
  }

  /** A second IDR bank account in Xero, made the clearing account: the merchant moved to it. */
  async function moveClearingTo(account: { accountId: string }) {
    const m = (await h.stores.merchants.byId(h.merchant.id))!;
    await h.stores.merchants.setAccounts(
      h.merchant.id,
      { clearingAccountId: account.accountId, clearingAccounts: m.clearingAccounts, feeAccountCode: '404', salesAccountCode: m.salesAccountCode },
      h.clock(),
    );
  }

  describe('the report', () => {
    it('a fee the gateway posted, given back after the merchant turned fee posting off: missing in Xero until booked', async () => {
      const { x, payment } = await paid();
      assert.equal(payment.feeState, 'posted');
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'off' }, h.clock());
      await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
      const rows = await feeBackRows(x.id);
      assert.deepEqual(
        rows.map((r) => r.xenditFee),
        [`-${payment.fee! + 479}.00`],
      );
    });

    it('a fee the gateway posted, given back after the merchant switched to monthly fee bills: missing in Xero until booked', async () => {
      const { x, payment } = await paid();
      assert.equal(payment.feeState, 'posted');
      // Changed after the payment, as Xendit's simulator dates it.
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'invoiced' }, new Date(Date.now() + 60_000));
      await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
      assert.equal((await feeBackRows(x.id)).length, 1);
    });

    it('a fee the gateway never posted (fee posting off when paid), given back after the merchant turned it on: nothing expected in Xero', async () => {
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'off' }, h.clock());
      const { x, payment } = await paid();
      assert.equal(payment.feeState, 'not_needed');
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'bank_transaction' }, h.clock());
      const { id } = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
      assert.deepEqual(await feeBackRows(x.id), []);
      // As the job judges it: nothing is booked.
      await refundWebhook(h, id).expect(200);
      await h.worker.drain();
      assert.deepEqual(receipts(), []);
      assert.deepEqual(await feeBackRows(x.id), []);
    });

    it("a fee still to be posted (its job in review) counts as the gateway's: the fee given back is expected in Xero", async () => {
      await h.stores.db.updateTable('merchants').set({ fee_account_code: null }).where('id', '=', h.merchant.id).execute();
      const { x, payment } = await paid();
      assert.equal(payment.feeState, 'needs_review');
      await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
      assert.equal((await feeBackRows(x.id)).length, 1);
    });
  });

  describe('the return-fee job', () => {
    it('a fee posted as Spend Money out of a bank account that is no longer the clearing account: received back into that account', async () => {
      const { x, payment } = await paid();
      assert.deepEqual(payment.feeEntry, { kind: 'spend', accountId: h.clearingAccountId });
      await moveClearingTo(h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Xendit 2', type: 'BANK', currencyCode: 'IDR' }));
      const { id } = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
      await refundWebhook(h, id).expect(200);
      await h.worker.drain();
      assert.deepEqual(
        receipts().map((t) => [t.type, t.accountId]),
        [['RECEIVE', h.clearingAccountId]],
      );
      const row = await h.stores.feeReturns.byPayment(payment.id);
      assert.deepEqual([row?.entryKind, row?.entryAccount], ['receive', h.clearingAccountId]);
    });

    it('a fee posted as a manual journal, the merchant since on Spend Money and a bank clearing account: journalled back on the account it was posted against', async () => {
      const journal = h.sims.xero.addAccount(h.tenantId, { code: '095', name: 'Xendit clearing', type: 'CURRENT', enablePaymentsToAccount: true });
      await moveClearingTo(journal);
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'manual_journal' }, h.clock());
      const { x, payment } = await paid();
      assert.deepEqual(payment.feeEntry, { kind: 'journal', accountId: journal.accountId });
      await moveClearingTo({ accountId: h.clearingAccountId });
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'bank_transaction' }, h.clock());
      const { id } = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
      await refundWebhook(h, id).expect(200);
      await h.worker.drain();
      assert.deepEqual(receipts(), [], 'not received into the bank clearing account it never left');
      assert.deepEqual(
        journalsBack().map((j) => j.lines.map((l) => [l.accountCode, l.lineAmount])),
        [
          [
            ['404', -BigInt(payment.fee!) * 100n],
            ['404', -47900n],
            ['095', BigInt(payment.fee! + 479) * 100n],
          ],
        ],
      );
    });

    it('a fee posted as Spend Money, the merchant since on manual journals and a non-bank clearing account: received back into the bank account', async () => {
      const { x, payment } = await paid();
      await moveClearingTo(h.sims.xero.addAccount(h.tenantId, { code: '095', name: 'Xendit clearing', type: 'CURRENT', enablePaymentsToAccount: true }));
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'manual_journal' }, h.clock());
      const { id } = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
      await refundWebhook(h, id).expect(200);
      await h.worker.drain();
      assert.deepEqual(journalsBack(), []);
      assert.deepEqual(
        receipts().map((t) => [t.accountId, t.lineItems.map((l) => l.lineAmount)]),
        [[h.clearingAccountId, [BigInt(payment.fee!) * 100n, 47900n]]],
      );
    });

    it('a fee posted before its entry was kept: the first attempt goes to the clearing account of the day, and a retry after no answer goes there too', async () => {
      const { x, payment } = await paid();
      // Posted by a release that did not keep where (migration 20261206T1510).
      await h.stores.db.updateTable('payments').set({ fee_entry_kind: null, fee_entry_account: null }).where('id', '=', payment.id).execute();
      const { id } = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
      h.sims.xero.faults.failNext(1, 503, { method: 'PUT', path: '/api.xro/2.0/BankTransactions' });
      await refundWebhook(h, id).expect(200);
      await h.worker.drain();
      const pending = await h.stores.feeReturns.byPayment(payment.id);
      assert.ok(pending?.attemptAt, 'sent, no answer');
      assert.equal(pending.entryKind, 'receive');
      assert.deepEqual(receipts(), []);

      // The merchant moves to another clearing account before the retry.
      const other = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Xendit 2', type: 'BANK', currencyCode: 'IDR' });
      await moveClearingTo(other);
      h.clock.advance(3600_000);
      await h.worker.drain();
      assert.deepEqual(
        receipts().map((t) => t.accountId),
        [h.clearingAccountId],
      );
      assert.equal((await h.stores.feeReturns.byPayment(payment.id))?.entryAccount, h.clearingAccountId, 'kept with the attempt');
    });
  });
});
