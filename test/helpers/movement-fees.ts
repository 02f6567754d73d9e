/**
 * The set-up the movement-fee and movement-reversal tests share: a payment settled into the Xendit
 * balance (on the tests' clock), and other balance movements booked from then on against a suspense
 * account; and what they read back (the listing, entries by Reference, both balances).
 */
import { pino } from 'pino';
import { addedAtTheTestsStart, createHarness, paidThroughGateway, type Harness } from './harness.js';
import type { Db } from '../../app/store/db.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';

export function movementSetup(db: () => Db) {
  let h: Harness;
  const t = {
    get h() {
      return h;
    },
    /** The account other movements are booked against. */
    suspense: '',
    async start() {
      h = await createHarness(db());
      t.suspense = h.sims.xero.addAccount(h.tenantId, { code: '899', name: 'Xendit other movements', type: 'CURRENT' }).code;
      h.sims.xendit.test.useClock(h.clock);
      await addedAtTheTestsStart(h);
      const { x } = await paidThroughGateway(h);
      await h.worker.drain();
      await h.sims.xendit.settle(x.id, { sendCallback: false });
      await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: t.suspense }, h.clock());
      h.clock.advance(60_000);
    },
    close() {
      h.sims.xendit.test.useClock();
      return h.close();
    },
    key: () => h.merchant.xenditSecretKey,
    list: () => listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })(),
    entries: (reference: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((x) => x.reference === reference && x.status === 'AUTHORISED'),
    /** Xendit's CASH balance in Xero's hundredths (IDR has no minor unit). */
    xenditBalance: () => BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100),
    clearingBalance: () => h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId),
  };
  return t;
}
