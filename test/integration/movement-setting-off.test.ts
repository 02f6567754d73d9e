import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { movementSetup } from '../helpers/movement-fees.js';
import type { Harness } from '../helpers/harness.js';
import { pino } from 'pino';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';

/**
 * The setting that books Xendit's other balance movements turned off (or off and on again) after
 * the gateway booked a payout (DISBURSEMENT, IDR 1,000,000): what it booked is still followed
 * (record-other-movement.ts: "its fee follows an entry booked, whatever the setting says now"), its
 * return and a fee learnt later booked, while nothing new is booked while it is off.
 */
describeEachDatabase('other movements booked before the setting was turned off', ({ db }) => {
  const t = movementSetup(db);
  let h: Harness;
  const DAY = 86_400_000;
  beforeEach(async () => {
    await t.start();
    h = t.h;
    // A balance large enough for the payout.
    h.sims.xendit.test.movement(t.key(), { type: 'TOPUP', currency: 'IDR', amount: 2_000_000, cashflow: 'MONEY_IN' });
    await t.list();
    await h.worker.drain();
  });
  afterEach(() => t.close());

  const { key, list, entries, xenditBalance, clearingBalance } = t;
  const payout = (fee?: Parameters<typeof h.sims.xendit.test.movement>[1]['fee']) =>
    h.sims.xendit.test.movement(key(), { type: 'DISBURSEMENT', currency: 'IDR', amount: 1_000_000, cashflow: 'MONEY_OUT', fee });
  const rowOf = (id: string) => h.stores.otherMovements.byXenditId(h.merchant.id, id);
  const turnOff = async () => {
    await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: null }, h.clock());
    h.clock.advance(60_000);
  };
  const turnOn = async () => {
    await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: t.suspense }, h.clock());
    h.clock.advance(60_000);
  };
  const bookedPayout = async (fee?: Parameters<typeof payout>[0]) => {
    const m = payout(fee);
    await list();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement ${m.id}`).length, 1, 'booked as Spend Money');
    assert.equal(clearingBalance(), xenditBalance());
    return m;
  };

  for (const how of ['off', 'off then on again'] as const) {
    it(`booked, the setting turned ${how}, the payout sent back: booked back once, the clearing account is Xendit's balance`, async () => {
      const m = await bookedPayout();
      await turnOff();
      if (how === 'off then on again') await turnOn();
      h.clock.advance(3_600_000);
      h.sims.xendit.test.reverseMovement(key(), m.id);
      await list();
      await h.worker.drain();
      assert.equal(entries(`Xendit movement reversed ${m.id}`).length, 1, 'booked back');
      assert.notEqual((await rowOf(m.id))?.reversedAt, null);
      assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");
      await list();
      await h.worker.drain();
      assert.equal(entries(`Xendit movement reversed ${m.id}`).length, 1, 'once');
    });
  }

  it('its entry sent without an answer (Xero saved it), the setting turned off, the payout sent back: found by its Reference and booked back once', async () => {
    const m = payout();
    h.sims.xero.faults.dropResponseAfterSave(1, { path: '/api.xro/2.0/BankTransactions' });
    await list();
    await h.worker.drain();
    const unknown = await rowOf(m.id);
    assert.ok(unknown?.attemptAt && !unknown.xeroBankTransactionId, 'outcome unknown');
    await turnOff();
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    h.clock.advance(3 * 60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    await h.worker.drain();
    assert.deepEqual([entries(`Xendit movement ${m.id}`).length, entries(`Xendit movement reversed ${m.id}`).length], [1, 1]);
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('booked with its fee PENDING, the setting turned off, the fee COMPLETED later: the fee booked once', async () => {
    const m = await bookedPayout({ xenditFee: 5_000, vat: 550, pending: true });
    await turnOff();
    h.sims.xendit.test.completeMovementFee(key(), m.id);
    await list();
    await h.worker.drain();
    await list();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 1, 'the fee booked');
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('booked, the setting turned off, sent back 50 days later: the listing of what changed finds it and books it back', async () => {
    const m = await bookedPayout();
    await turnOff();
    h.clock.advance(50 * DAY);
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement reversed ${m.id}`).length, 1, 'booked back');
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('while the setting is off, a new payout is neither booked nor kept, nor one sent back; one that moved while it was off is not booked once it is on again', async () => {
    const m = await bookedPayout();
    await turnOff();
    const off = payout();
    await list();
    await h.worker.drain();
    h.sims.xendit.test.reverseMovement(key(), m.id);
    const offBack = payout();
    h.sims.xendit.test.reverseMovement(key(), offBack.id);
    await list();
    await h.worker.drain();
    for (const x of [off, offBack]) {
      assert.equal(entries(`Xendit movement ${x.id}`).length, 0, x.id);
      assert.equal(await rowOf(x.id), null, x.id);
    }
    h.clock.advance(60_000);
    await turnOn();
    await list();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement ${off.id}`).length, 0, 'moved while off: the merchant books it');
    assert.equal(await rowOf(off.id), null);
    assert.equal(entries(`Xendit movement reversed ${m.id}`).length, 1, 'the booked one followed throughout');
  });

  it('no movement ever booked and the setting off: no movement listing is read', async () => {
    await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: null }, h.clock());
    await h.stores.db.deleteFrom('other_movements').execute();
    let asked = 0;
    const xendit = new Proxy(h.sims.xenditClient, {
      get: (target, name, receiver) =>
        name === 'listOtherMovements'
          ? (...a: Parameters<typeof target.listOtherMovements>) => (asked++, target.listOtherMovements(...a))
          : Reflect.get(target, name, receiver),
    });
    await listWithdrawalsJob({ stores: h.stores, xendit, clock: h.clock, logger: pino({ level: 'silent' }) })();
    assert.equal(asked, 0, 'no movement listing');
  });
});
