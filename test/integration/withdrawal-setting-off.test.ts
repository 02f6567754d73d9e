import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { FEE, withdrawalFeeSetup } from '../helpers/withdrawal-fees.js';
import type { Harness } from '../helpers/harness.js';

/**
 * The settlement bank account removed from the settings after a withdrawal was booked to it: what
 * was booked is still followed (record-withdrawal.ts: back between the accounts the money went
 * between, whatever the settings say today), its return and a fee learnt later booked.
 */
describeEachDatabase('withdrawals booked before the settlement bank account was removed', ({ db }) => {
  const t = withdrawalFeeSetup(db);
  let h: Harness;
  beforeEach(async () => {
    await t.start();
    h = t.h;
  });
  afterEach(() => t.close());
  const { list, transfers, feeEntries, xenditBalance, clearingBalance, funded } = t;
  const key = () => h.merchant.xenditSecretKey;
  const removed = () => h.stores.settlements.saveAndResume(h.merchant.id, {}, () => 'unused', h.clock());
  const transfersBack = (id: string) => transfers().filter((x) => x.reference === `Xendit withdrawal reversed ${id}`);

  it('booked, the account removed, sent back by the bank: one transfer back into the clearing account', async () => {
    await funded();
    const w = h.sims.xendit.test.withdraw(key(), 'IDR', 100_000);
    await list();
    await h.worker.drain();
    assert.equal(transfers().length, 1);
    await removed();
    h.clock.advance(3_600_000);
    h.sims.xendit.test.reverseWithdrawal(key(), w.id);
    await list();
    await h.worker.drain();
    assert.equal(transfersBack(w.id).length, 1, 'booked back');
    assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.state, 'reversed');
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('booked with its fee PENDING, the account removed, the fee COMPLETED later: the fee booked once', async () => {
    await funded();
    const w = h.sims.xendit.test.withdraw(key(), 'IDR', 100_000, { fee: { ...FEE, pending: true } });
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [1, 0]);
    await removed();
    h.sims.xendit.test.completeWithdrawal(key(), w.id);
    await list();
    await h.worker.drain();
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [1, 1]);
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('its transfer sent without an answer (Xero saved it), the account removed, sent back: the transfer found by its Reference and booked back once', async () => {
    await funded();
    const w = h.sims.xendit.test.withdraw(key(), 'IDR', 100_000);
    h.sims.xero.faults.dropResponseAfterSave(1, { path: '/api.xro/2.0/BankTransfers' });
    await list();
    await h.worker.drain();
    const unknown = await h.stores.settlements.byXenditId(h.merchant.id, w.id);
    assert.ok(unknown?.transferAttemptAt && !unknown.xeroBankTransferId, 'outcome unknown');
    await removed();
    h.sims.xendit.test.reverseWithdrawal(key(), w.id);
    await list();
    h.clock.advance(3 * 60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    await h.worker.drain();
    assert.deepEqual([transfers().filter((x) => x.reference === `Xendit withdrawal ${w.id}`).length, transfersBack(w.id).length], [1, 1]);
    assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.state, 'reversed');
    assert.equal(clearingBalance(), xenditBalance());
  });
  it('its transfer sent without an answer (Xero never made it), the account removed: waits for an account, its attempt forgotten; sent back, nothing is booked', async () => {
    await funded();
    const w = h.sims.xendit.test.withdraw(key(), 'IDR', 100_000);
    h.sims.xero.faults.failNext(1, 503, { path: '/api.xro/2.0/BankTransfers' });
    await list();
    await h.worker.drain();
    assert.ok((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.transferAttemptAt, 'outcome unknown');
    await removed();
    h.clock.advance(3 * 60_000);
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
    await h.stores.jobs.replay(job.id, h.clock());
    await h.worker.drain();
    const waits = await h.stores.settlements.byXenditId(h.merchant.id, w.id);
    assert.deepEqual([waits?.state, waits?.transferAttemptAt], ['waiting', null]);
    h.sims.xendit.test.reverseWithdrawal(key(), w.id);
    await list();
    await h.worker.drain();
    assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.state, 'reversed');
    assert.equal(transfers().length, 0, 'nothing out, nothing back');
  });
});
