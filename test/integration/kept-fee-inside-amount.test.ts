import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { FEE, withdrawalFeeSetup } from '../helpers/withdrawal-fees.js';
import { movementSetup } from '../helpers/movement-fees.js';
import type { Harness } from '../helpers/harness.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { recordWithdrawalJob } from '../../app/jobs/sync/record-withdrawal.js';
import { recordOtherMovementJob } from '../../app/jobs/sync/record-other-movement.js';
import { UNSETTLED_MS } from '../../app/jobs/sync/send-once.js';
import type { CrashPoint } from '../../app/jobs/sync/crash-points.js';

/**
 * A payout whose fee is inside its amount, booked for the whole amount while that fee was PENDING
 * (right then: the whole amount left the balance), the fee COMPLETED later (rightly not booked on
 * top), then sent back by the bank with Xendit keeping the fee: what came back is the amount less
 * the fee, so the fee left the balance for good and is booked then, once, dated the day it came back
 * (the clearing account follows the balance on each day), and the report agrees in every range.
 */
const DAY = 86_400_000;
// The tests' clock starts at 10:00 in Jakarta: its UTC day is the organisation's.
const day = (at: Date, offset = 0) => new Date(at.getTime() + offset * DAY).toISOString().slice(0, 10);

describeEachDatabase('a fee inside the amount, learnt after the whole amount was booked, kept by Xendit when the payout came back', ({ db }) => {
  describe('withdrawals', () => {
    const t = withdrawalFeeSetup(db, { onTestClock: true });
    let h: Harness;
    beforeEach(async () => {
      await t.start();
      h = t.h;
    });
    afterEach(() => t.close());
    /** Booked whole while its fee was PENDING, the fee COMPLETED (not booked), then sent back days later with the fee kept. */
    async function sentBackKept() {
      await t.funded();
      await h.worker.drain();
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, inAmount: true, pending: true } });
      const out = day(h.clock());
      await t.list();
      await h.worker.drain();
      h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
      await t.list();
      await h.worker.drain();
      assert.deepEqual([t.transfers().map((x) => x.amount), t.feeEntries(w.id).length], [[10_000_000n], 0], 'the whole amount, no fee on top');
      assert.equal(t.clearingBalance(), t.xenditBalance());
      h.clock.advance(3 * DAY);
      const before = t.xenditBalance();
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
      assert.equal(t.xenditBalance() - before, 9_445_000n, 'the amount less the fee Xendit kept came back');
      await t.list();
      return { w, out, back: day(h.clock()) };
    }

    it('the fee is booked once, dated the day it came back; the transfer back moves the whole amount; the balances agree and every range is reconciled', async () => {
      const { w, out, back } = await sentBackKept();
      await h.worker.drain();
      assert.deepEqual(
        t.transfers().map((x) => x.amount),
        [10_000_000n, 10_000_000n],
        'the transfer back moves what the transfer out moved',
      );
      const fees = t.feeEntries(w.id);
      assert.deepEqual(
        fees.map((x) => [x.type, x.total, x.date]),
        [['SPEND', 555_000n, back]],
        'the fee Xendit kept, booked once, the day it came back',
      );
      assert.equal(t.clearingBalance(), t.xenditBalance(), "the clearing account holds Xendit's balance");
      assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.state, 'reversed');

      await t.transferredEachRange(w.id, out, back);

      // Listed again, its job replayed: nothing more.
      await t.list();
      const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
      assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
      await h.worker.drain();
      assert.deepEqual([t.transfers().length, t.feeEntries(w.id).length], [2, 1]);
    });

    it('a person told to book the fee by hand (withdrawalFeeNotBooked) did so under its Reference before it came back: the gateway books no second fee', async () => {
      await t.funded();
      await h.worker.drain();
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, inAmount: true, pending: true } });
      await t.list();
      await h.worker.drain();
      h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
      await t.list();
      await h.worker.drain();
      const told = await h.stores.db.selectFrom('alerts').select(['message']).where('kind', '=', 'withdrawalFeeNotBooked').execute();
      assert.equal(told.length, 1, 'told once');
      await h.sims.xeroClient.createBankTransaction(
        h.merchant.xero,
        {
          type: 'SPEND',
          bankAccountId: h.clearingAccountId,
          contactName: 'Xendit',
          date: day(h.clock()),
          reference: `Xendit withdrawal fee ${w.id}`,
          currencyCode: 'IDR',
          reconciled: true,
          lineItems: [{ description: 'fee Xendit took out of a withdrawal', accountCode: h.merchant.feeAccountCode!, amount: '5550' }],
        },
        'by-hand',
      );
      h.clock.advance(3 * DAY);
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
      await t.list();
      await h.worker.drain();
      assert.deepEqual(
        t.feeEntries(w.id).map((x) => x.total),
        [555_000n],
        "the person's entry only",
      );
      assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.state, 'reversed');
      // The alert names the Reference the gateway looks for, in every language.
      for (const lang of ['en', 'id']) {
        const text = (JSON.parse(readFileSync(new URL(`../../locales/${lang}/alerts.json`, import.meta.url), 'utf8')) as Record<string, string>)
          .withdrawalFeeNotBooked;
        assert.ok(text?.includes('"Xendit withdrawal fee {withdrawal}"'), `${lang}: ${text}`);
      }
    });

    for (const point of ['withdrawal-fee-accepted', 'withdrawal-reversal-accepted'] as const) {
      it(`killed at ${point}: the re-run finds what Xero took by its Reference, one fee and one transfer back`, async () => {
        const { w } = await sentBackKept();
        const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal' && j.state === 'queued');
        const killed = new Error(`killed at ${point}`);
        const deps = { stores: h.stores, xero: h.sims.xeroClient, clock: h.clock, logger: pino({ level: 'silent' }) };
        await assert.rejects(
          recordWithdrawalJob({
            ...deps,
            crash: (p: CrashPoint) => {
              if (p === point) throw killed;
            },
          })(job),
          killed,
        );
        // Later than Xero keeps an Idempotency-Key: only the marks and the look-up by Reference keep each once.
        h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
        h.clock.advance(UNSETTLED_MS + 1_000);
        await recordWithdrawalJob(deps)(job);
        await recordWithdrawalJob(deps)(job);
        assert.deepEqual([t.transfers().length, t.feeEntries(w.id).length], [2, 1]);
        assert.equal(t.clearingBalance(), t.xenditBalance());
        assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.state, 'reversed');
      });
    }
  });

  describe('other balance movements', () => {
    const t = movementSetup(db);
    let h: Harness;
    const MFEE = { xenditFee: 5_000, vat: 550 };
    beforeEach(async () => {
      await t.start();
      h = t.h;
    });
    afterEach(() => t.close());
    const reportOf = async (from: string, to: string) => {
      const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
      return reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, merchant, { from, to });
    };
    const fees = (id: string) => t.entries(`Xendit movement fee ${id}`);
    async function sentBackKept() {
      const m = h.sims.xendit.test.movement(t.key(), {
        type: 'DISBURSEMENT',
        currency: 'IDR',
        amount: 20_000,
        cashflow: 'MONEY_OUT',
        fee: { ...MFEE, inAmount: true, pending: true },
      });
      const out = day(h.clock());
      await t.list();
      await h.worker.drain();
      h.sims.xendit.test.completeMovementFee(t.key(), m.id);
      await t.list();
      await h.worker.drain();
      assert.deepEqual([t.entries(`Xendit movement ${m.id}`).map((x) => x.total), fees(m.id).length], [[2_000_000n], 0], 'the whole amount, no fee on top');
      assert.equal(t.clearingBalance(), t.xenditBalance());
      h.clock.advance(3 * DAY);
      const before = t.xenditBalance();
      h.sims.xendit.test.reverseMovement(t.key(), m.id, undefined, { fee: 'COMPLETED' });
      assert.equal(t.xenditBalance() - before, 1_445_000n, 'the amount less the fee Xendit kept came back');
      await t.list();
      return { m, out, back: day(h.clock()) };
    }

    it('the fee is booked once, dated the day it came back; the entry back carries the whole amount; the balances agree and every range is reconciled', async () => {
      const { m, out, back } = await sentBackKept();
      await h.worker.drain();
      assert.deepEqual(
        t.entries(`Xendit movement reversed ${m.id}`).map((x) => [x.type, x.total]),
        [['RECEIVE', 2_000_000n]],
      );
      assert.deepEqual(
        fees(m.id).map((x) => [x.type, x.total, x.date]),
        [['SPEND', 555_000n, back]],
        'the fee Xendit kept, booked once, the day it came back',
      );
      assert.equal(t.clearingBalance(), t.xenditBalance(), "the clearing account holds Xendit's balance");
      assert.equal((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))?.state, 'recorded');

      for (const [from, to, shown] of [
        [out, out, ['matched', '-20000.00', '-20000.00']],
        [back, back, ['matched', '14450.00', '14450.00']],
        [out, back, ['matched', '-5550.00', '-5550.00']],
      ] as const) {
        const r = await reportOf(from, to);
        const rows = r.rows.filter((x) => x.note.includes(m.id)).map((x) => [x.status, x.xenditAmount, x.xeroPayment]);
        assert.deepEqual([rows, r.totals.IDR?.difference, r.reconciled], [[shown], '0.00', true], `${from}..${to}: ${JSON.stringify([r.rows, r.totals])}`);
      }

      await t.list();
      const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement');
      assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
      await h.worker.drain();
      assert.deepEqual([t.entries(`Xendit movement reversed ${m.id}`).length, fees(m.id).length], [1, 1]);
    });

    for (const point of ['other-movement-fee-accepted', 'other-movement-reversal-accepted'] as const) {
      it(`killed at ${point}: the re-run finds what Xero took by its Reference, one fee and one entry back`, async () => {
        const { m } = await sentBackKept();
        const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement' && j.state === 'queued');
        const died = new Error('power cut');
        const deps = { stores: h.stores, xero: h.sims.xeroClient, clock: h.clock, logger: pino({ level: 'silent' }) };
        await assert.rejects(
          recordOtherMovementJob({
            ...deps,
            crash: (p: CrashPoint) => {
              if (p === point) throw died;
            },
          })(job),
          (err) => err === died,
        );
        h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
        h.clock.advance(UNSETTLED_MS + 1_000);
        await recordOtherMovementJob(deps)(job);
        await recordOtherMovementJob(deps)(job);
        assert.deepEqual([t.entries(`Xendit movement reversed ${m.id}`).length, fees(m.id).length], [1, 1]);
        assert.equal(t.clearingBalance(), t.xenditBalance());
        assert.equal((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))?.state, 'recorded');
      });
    }

    it("booked, sent back while its fee on top was PENDING and booked back; the fee COMPLETED (kept) after the listing's 45 days without Xendit's `updated` moving: read again by its id, its fee booked once", async () => {
      const m = h.sims.xendit.test.movement(t.key(), {
        type: 'DISBURSEMENT',
        currency: 'IDR',
        amount: 20_000,
        cashflow: 'MONEY_OUT',
        fee: { ...MFEE, pending: true },
      });
      await t.list();
      await h.worker.drain();
      h.clock.advance(60_000);
      h.sims.xendit.test.reverseMovement(t.key(), m.id, undefined, { fee: 'COMPLETED' });
      await t.list();
      await h.worker.drain();
      const row = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
      assert.deepEqual([row?.state, row?.fee, !!row?.xeroReversalEntryId], ['recorded', 0, true], 'booked back, its fee not known yet');
      assert.equal(t.clearingBalance(), t.xenditBalance());
      h.clock.advance(46 * 86_400_000);
      h.sims.xendit.test.completeMovementFee(t.key(), m.id, { updated: false });
      await t.list();
      await h.worker.drain();
      assert.equal(fees(m.id).length, 1, 'the fee Xendit kept, booked');
      assert.equal(t.clearingBalance(), t.xenditBalance(), "the clearing account holds Xendit's balance");
      h.clock.advance(40 * 86_400_000);
      await t.list();
      await h.worker.drain();
      assert.equal(fees(m.id).length, 1, 'once');
    });
  });
});
