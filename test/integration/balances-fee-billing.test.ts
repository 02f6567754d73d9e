import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { page, seedAdminCast, signedIn } from '../helpers/admin.js';

/**
 * The dashboard's balances count what Xendit will keep of each payment not settled yet by the fee
 * billing when it was paid, as post-fee booked it: a switch of billing is no difference.
 */
describeEachDatabase('the balances after a change of fee billing', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  const idrBalance = async () => {
    const { $ } = await page(await signedIn(h.app, 'a@toko.test'), '/admin');
    const row = $('#balances-table tr[data-currency=IDR]');
    // Intl puts a no-break space between the currency and the amount.
    const text = (cls: string) => row.find(cls).text().trim().replace(/\s/g, ' ');
    return { xendit: text('.xendit'), xero: text('.xero'), state: text('.state') };
  };

  it('switched to monthly bills between two payments, neither settled yet: each counted by its own billing, balanced', async () => {
    const { x: before } = await paidThroughGateway(h);
    await h.worker.drain();
    const switchedAt = new Date(h.sims.xendit.getInvoice(before.id)!.paidAt!.getTime() + 60_000);
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'invoiced' }, switchedAt);
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { feeBilling: 'invoiced' });
    await paidThroughGateway(h, { beforeCallback: (x) => void (h.sims.xendit.getInvoice(x.id)!.paidAt = new Date(switchedAt.getTime() + 60_000)) });
    await h.worker.drain();
    assert.deepEqual(
      h.sims.xero
        .bankTransactionsOf(h.tenantId)
        .filter((t) => t.status === 'AUTHORISED')
        .map((t) => t.reference),
      [`Xendit fee ${before.id}`],
      'the fee of the payment made while fees were deducted, alone',
    );
    // Xero's Bank Summary is read up to the organisation's today; the simulators date things by the real clock.
    h.clock.advance(Math.max(0, Date.now() - h.clock().getTime()) + 86_400_000);
    const b = await idrBalance();
    assert.equal(b.state, 'Balanced', JSON.stringify(b));
    assert.match(b.xendit, /\+ IDR 295,650 paid, not settled by Xendit yet/, '150 000 less the 4 350 fee Xendit keeps, and 150 000 billed monthly');
  });
});
