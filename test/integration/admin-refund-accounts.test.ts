import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, REFUNDABLE, refundWebhook, type Harness } from '../helpers/harness.js';
import { page, seedAdminCast, signedIn } from '../helpers/admin.js';
import { adminPaymentPath } from '../../app/paths.js';

/**
 * A refund's credit note line whose sale's account was archived in Xero since goes to the sales
 * account (jobs/sync/refund-accounts.ts). That was said only on the credit note's line in Xero and
 * in the log; the payment's page in the admin says it too, for that refund.
 */
describeEachDatabase("admin: a refund's credit note moved off an archived account, on the payment's timeline", ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  /** Paid 2 × 55 500 on 200 Sales (PPN) + 39 000 on 260 Other Revenue; recorded in Xero. */
  async function paid() {
    h.sims.xero.addAccount(h.tenantId, { code: '260', name: 'Other Revenue', type: 'REVENUE' });
    const { x } = await paidThroughGateway(h, {
      paidBy: REFUNDABLE,
      invoice: {
        lineItems: [
          { description: 'Kopi', quantity: '2', unitAmount: '55500', accountCode: '200', taxType: 'OUTPUT' },
          { description: 'Ongkir', quantity: '1', unitAmount: '39000', accountCode: '260' },
        ],
      },
    });
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    assert.equal(payment.syncState, 'recorded');
    return { x, payment };
  }

  async function refunded(xenditInvoiceId: string) {
    const { id } = await h.sims.xendit.refund(xenditInvoiceId, { sendWebhook: false });
    await refundWebhook(h, id).expect(200);
    await h.worker.drain();
    const row = (await h.stores.refunds.byXenditId(h.merchant.id, id))!;
    assert.equal(row.state, 'recorded', row.lastError ?? '');
    return row;
  }

  const timelineOf = async (paymentId: string, lang = 'en') => {
    const agent = await signedIn(h.app, 'ops@example.com');
    const { $ } = await page(agent, `${adminPaymentPath(paymentId)}?lang=${lang}`);
    return $;
  };

  it("the sale's account archived: the refund's line on the timeline names it and the sales account used", async () => {
    const archivedSale = await paid();
    h.sims.xero.test.archiveAccount(h.tenantId, h.sims.xero.bankAccountFor(h.tenantId, '260').accountId);
    const moved = await refunded(archivedSale.x.id);

    const $ = await timelineOf(archivedSale.payment.id);
    const refundItem = $('#timeline li.refund').filter((_, li) => $(li).find('code').first().text() === moved.xenditRefundId);
    assert.equal(refundItem.length, 1);
    assert.equal(
      refundItem.find('.account-moved').text().trim(),
      "The sale's Xero account 260 is archived: the credit note's line went to the sales account 200 instead.",
    );
    assert.deepEqual(moved.creditAccountsMoved, { archived: ['260'], salesAccountCode: '200' });
    const id = await timelineOf(archivedSale.payment.id, 'id');
    assert.match(id('#timeline .account-moved').text(), /Akun Xero 260 .* akun penjualan 200/);
  });

  it('a refund whose lines kept their accounts (nothing kept, as on rows from before this was): no such line', async () => {
    const normalSale = await paid();
    const normal = await refunded(normalSale.x.id);
    assert.equal(normal.creditAccountsMoved, null);
    const $ = await timelineOf(normalSale.payment.id);
    assert.equal($('#timeline li.refund').length, 1);
    assert.equal($('#timeline .account-moved').length, 0);
  });

  it('escapes the account codes it shows', async () => {
    const sale = await paid();
    const row = await refunded(sale.x.id);
    await h.stores.db
      .updateTable('refunds')
      .set({ credit_archived_accounts: ['<b>26</b>'], credit_moved_to: '"&200' })
      .where('id', '=', row.id)
      .execute();
    const $ = await timelineOf(sale.payment.id);
    const moved = $('#timeline .account-moved');
    assert.equal(moved.find('b').length, 0, 'no markup from a code');
    assert.match(moved.text(), /account <b>26<\/b> is archived: .* sales account "&200 instead/);
    assert.match(moved.html() ?? '', /&lt;b&gt;26&lt;\/b&gt;/);
  });
});
