import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { getSims } from '../helpers/sims.js';
import { spawnWorker, waitFor, type Spawned } from '../helpers/spawn.js';
import { crashSuite, processDatabase, seedPaidCheckout } from '../helpers/worker-process.js';
import { BOOKING_CRASH_POINTS } from '../../app/jobs/sync/crash-points.js';
import { randomUUID } from 'node:crypto';
import { enqueue, jobRow } from '../../app/jobs/enqueue.js';
import { JOB_SPECS } from '../../app/jobs/kinds.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import type { Stores } from '../../app/store/index.js';

type Point = (typeof BOOKING_CRASH_POINTS)[number];

/**
 * Issue 16: the books after the payment survive a worker killed (SIGKILL, no cleanup) between each
 * of their effects. A refund's credit note and cash refund, and a withdrawal's bank transfer (its
 * Receive Money, from a non-bank clearing account), and one of Xendit's other balance movements
 * (Spend Money out of the clearing account), are each in Xero exactly once after a fresh worker
 * takes the job over.
 */
describe('refunds and withdrawals survive SIGKILL at each crash point [postgres]', function () {
  const { guardMs: GUARD_MS, exitOf, survivorFinishes } = crashSuite(this);

  for (const point of BOOKING_CRASH_POINTS) {
    it(`killed at ${point}: the restarted worker leaves exactly one of each in Xero`, () => scenario(point));
  }
  // A lost chargeback is booked by the refund's steps, from the dispute's own job: each of them.
  for (const point of ['refund-credit-accepted', 'refund-credit-stored', 'refund-overpayment-accepted', 'refund-cash-accepted'] as const) {
    it(`a lost chargeback killed at ${point}: the restarted worker leaves exactly one of each in Xero`, () => scenario(point, 'chargeback'));
  }

  // The scheduled listing itself, as the worker runs it (the other listing points: listing-crash-points.test.ts, in process).
  it("the withdrawal listing killed after queuing a withdrawal's job: the restarted worker lists again and books it once", async () => {
    const point = 'withdrawal-listing-job-queued';
    const sims = await getSims();
    // A lease longer than one listing run (every currency, made and sent back): a job still running
    // past its lease is taken again, and a third take reads as a job that kills its worker.
    const pdb = await processDatabase('postgres', sims, { NODE_ENV: 'test', JOB_LEASE_SECONDS: '5' });
    const workers: Spawned[] = [];
    const withStores = <T>(fn: (s: Stores) => Promise<T>) => pdb.withStores(fn);
    try {
      const seeded = await withStores((stores) => seedPaidCheckout(stores, sims, 'lw'));
      const savings = sims.xero.bankAccountFor(seeded.tenantId, 'Business Savings Account').accountId;
      await withStores((s) => s.settlements.saveAndResume(seeded.merchantId, { IDR: savings }, (w) => JOB_SPECS['record-withdrawal'].dedupeKey(w), new Date()));
      await sims.xendit.settle(seeded.xenditInvoiceId, { sendCallback: false });
      const w = sims.xendit.test.withdraw(seeded.xenditKey, 'IDR', 100_000);
      await withStores((s) => enqueue(s.jobs, 'list-withdrawals', {}, new Date(), { slot: new Date() }));
      const jobsOf = async (kind: string) => (await withStores((s) => s.jobs.list())).filter((j) => j.kind === kind);
      const [listing] = await jobsOf('list-withdrawals');

      const doomed = spawnWorker({ ...pdb.env, CRASH_AT: point });
      workers.push(doomed);
      assert.equal(await exitOf(doomed), 'SIGKILL', doomed.output());
      assert.equal((await withStores((s) => s.jobs.byId(listing.id)))?.state, 'running', 'died holding the listing');
      assert.equal((await jobsOf('record-withdrawal')).length, 1, 'its job queued');
      assert.equal(sims.xero.test.bankTransfers(seeded.tenantId).length, 0);

      const survivor = spawnWorker(pdb.env);
      workers.push(survivor);
      await waitFor(
        'the withdrawal recorded',
        async () => ((await withStores((s) => s.settlements.byXenditId(seeded.merchantId, w.id)))?.state === 'recorded' ? true : undefined),
        GUARD_MS,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${survivor.output()}`);
      });
      await survivorFinishes(point, survivor, () => withStores((s) => s.jobs.byId(listing.id)));
      assert.equal((await jobsOf('record-withdrawal')).length, 1, 'one job');
      assert.deepEqual(
        sims.xero.test.bankTransfers(seeded.tenantId).map((t) => t.reference),
        [`Xendit withdrawal ${w.id}`],
        'one transfer',
      );
      assert.equal(
        await withStores((s) => s.settlements.listCursor({ merchantId: seeded.merchantId, mode: 'test', currency: 'IDR', listing: 'created' })),
        null,
      );
    } finally {
      for (const x of workers) if (x.child.exitCode === null && x.child.signalCode === null) x.child.kill('SIGKILL');
      await pdb.cleanup();
    }
  });

  async function scenario(point: Point, via: 'refund' | 'chargeback' = 'refund'): Promise<void> {
    const sims = await getSims();
    const pdb = await processDatabase('postgres', sims, { NODE_ENV: 'test', JOB_LEASE_SECONDS: '1' });
    const workers: Spawned[] = [];
    const withStores = <T>(fn: (s: Stores) => Promise<T>) => pdb.withStores(fn);
    try {
      const seeded = await withStores((stores) => seedPaidCheckout(stores, sims, `b${BOOKING_CRASH_POINTS.indexOf(point)}${via[0]}`));
      const returningFee = point === 'fee-return-accepted';
      const billing = point === 'fee-bill-accepted';
      // The payout booked, then sent back by the bank: its Receive Money back, and (given back) its fee's.
      const movingBack = point === 'other-movement-reversal-accepted' || point === 'other-movement-fee-return-accepted';
      const moving = point === 'other-movement-accepted' || point === 'other-movement-fee-accepted' || movingBack;
      // A payout with Xendit's fee on top (IDR 5,000 + 11% VAT): the movement's Spend Money, then the fee's.
      const movingFee = point === 'other-movement-fee-accepted' || movingBack;
      const refunding = point.startsWith('refund-') || returningFee;
      // Sent back with its fee given back too: the fee's Receive Money back after the transfer back.
      const feeBack = point === 'withdrawal-fee-return-accepted';
      const reversing = point === 'withdrawal-reversal-accepted' || point === 'withdrawal-spend-back-accepted' || feeBack;
      // A clearing account that is not a bank account: the withdrawal is Receive Money into savings, its reversal Spend Money.
      const nonBank = point === 'withdrawal-receive-accepted' || point === 'withdrawal-spend-back-accepted';
      // Xendit's payout fee (IDR 5,000 + 11% VAT), booked after the transfer as Spend Money of its own.
      const feeing = point === 'withdrawal-fee-accepted' || point === 'withdrawal-transfer-accepted' || feeBack;
      // 50 000 of the 150 000 paid beyond the invoice (paid in cash meanwhile): a Xero overpayment,
      // refunded on first; the rest of the 60 000 refund on a credit note.
      const overpaid = point === 'refund-overpayment-accepted';
      const final = reversing ? 'reversed' : 'recorded';
      const savings = sims.xero.bankAccountFor(seeded.tenantId, 'Business Savings Account').accountId;
      if (overpaid) {
        await withStores((s) => s.merchants.setAccountingOptions(seeded.merchantId, { overpayments: true }, new Date()));
        sims.xero.recordPayment(seeded.tenantId, seeded.xeroInvoiceId, '50000', savings, 'Cash');
      }
      if (moving) {
        // Xendit's other balance movements booked against Bank Fees, from a minute ago.
        await withStores((s) => s.merchants.setSettings(seeded.merchantId, { otherMovementsAccountCode: '404' }, new Date(Date.now() - 60_000)));
      } else if (billing) {
        // Fees billed monthly since January: October's bill is the merchant's to book.
        await withStores((s) => s.merchants.setAccountingOptions(seeded.merchantId, { xenditFeeBilling: 'invoiced' }, new Date('2026-01-01T00:00:00Z')));
      } else if (!refunding) {
        if (nonBank) {
          const clearing = sims.xero.addAccount(seeded.tenantId, { code: '095', name: 'Xendit clearing', type: 'CURRENT', enablePaymentsToAccount: true });
          await withStores(async (s) => {
            await s.merchants.setAccounts(
              seeded.merchantId,
              { clearingAccountId: clearing.accountId, clearingAccounts: {}, feeAccountCode: '404', salesAccountCode: null },
              new Date(),
            );
            await s.merchants.setAccountingOptions(seeded.merchantId, { feePosting: 'manual_journal' }, new Date());
          });
        }
        await withStores((s) =>
          s.settlements.saveAndResume(seeded.merchantId, { IDR: savings }, (w) => JOB_SPECS['record-withdrawal'].dedupeKey(w), new Date()),
        );
      }

      // The doomed worker records the payment first (no crash point on that path), then meets the booking.
      const doomed = spawnWorker({ ...pdb.env, CRASH_AT: point });
      workers.push(doomed);
      await waitFor(
        'the payment recorded',
        () =>
          withStores(async (s) => ((await s.payments.byXenditInvoice(seeded.merchantId, seeded.xenditInvoiceId))?.syncState === 'recorded' ? true : undefined)),
        GUARD_MS,
      ).catch((err: Error) => {
        throw new Error(`${point}: ${err.message}\n${doomed.output()}`);
      });

      let jobId: number;
      let effects: () => number[];
      let settledRow: () => Promise<{ state: string } | null>;
      if (billing) {
        const billId = randomUUID();
        await withStores((s) =>
          s.feeBills.getOrCreate(
            {
              id: billId,
              merchantId: seeded.merchantId,
              period: '2026-10',
              currency: 'IDR',
              fees: 4500,
              vat: 495,
              transactions: 1,
              xenditInvoiceNumber: null,
              createdBy: null,
            },
            (feeBillId) => jobRow('record-fee-bill', { merchantId: seeded.merchantId, feeBillId }, new Date()),
            new Date(),
          ),
        );
        jobId = await waitFor('the job', async () => (await withStores((s) => s.jobs.list())).find((j) => j.kind === 'record-fee-bill')?.id, GUARD_MS);
        effects = () => [[...sims.xero.test.organisation(seeded.tenantId).invoices.values()].filter((i) => i.type === 'ACCPAY').length];
        settledRow = async () => (await withStores((s) => s.feeBills.byId(billId))) ?? null;
      } else if (refunding) {
        // A fee given back: the whole rest refunded (the simulator's rule), the fee posted first.
        let id: string;
        if (via === 'chargeback') {
          // Lost without a webhook; its job queued as the daily look or a Dispute Report would.
          id = (await sims.xendit.dispute(seeded.xenditInvoiceId, { amount: 60_000, sendWebhook: false })).id;
          await sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
          await withStores((s) => enqueue(s.jobs, 'record-dispute', { merchantId: seeded.merchantId, xenditDisputeId: id, status: 'LOST' }, new Date()));
        } else {
          id = (await sims.xendit.refund(seeded.xenditInvoiceId, { ...(returningFee ? { feeReturned: true } : { amount: 60_000 }), sendWebhook: false })).id;
          await withStores((s) => enqueue(s.jobs, 'record-refund', { merchantId: seeded.merchantId, xenditRefundId: id }, new Date()));
        }
        // The fee's return is a job of its own, queued when the refund is recorded.
        const kind = returningFee ? 'return-fee' : via === 'chargeback' ? 'record-dispute' : 'record-refund';
        jobId = await waitFor('the job', async () => (await withStores((s) => s.jobs.list())).find((j) => j.kind === kind)?.id, GUARD_MS);
        const feeReturns = () => sims.xero.bankTransactionsOf(seeded.tenantId).filter((t) => t.reference.startsWith('Xendit fee returned')).length;
        effects = () => [sims.xero.test.creditNotes(seeded.tenantId).length, sims.xero.test.refundPayments(seeded.tenantId).length, feeReturns()];
        settledRow = returningFee
          ? () =>
              withStores(async (s) => {
                const payment = await s.payments.byXenditInvoice(seeded.merchantId, seeded.xenditInvoiceId);
                const row = payment && (await s.feeReturns.byPayment(payment.id));
                return row ? { state: row.xeroEntryId ? 'recorded' : 'pending' } : null;
              })
          : () => withStores((s) => s.refunds.byXenditId(seeded.merchantId, id));
      } else if (moving) {
        await sims.xendit.settle(seeded.xenditInvoiceId, { sendCallback: false });
        // The month's fees paid from the cash balance into the Billing Balance, as a TRANSFER out.
        const m = sims.xendit.test.movement(seeded.xenditKey, {
          ...(movingFee ? { type: 'DISBURSEMENT', fee: { xenditFee: 5_000, vat: 550 } } : { type: 'TRANSFER_OUT' }),
          currency: 'IDR',
          amount: 20_000,
          cashflow: 'MONEY_OUT',
        });
        await withStores((stores) => listWithdrawalsJob({ stores, xendit: sims.xenditClient, clock: () => new Date(), logger: pino({ level: 'silent' }) })());
        jobId = (await withStores((s) => s.jobs.list())).find((j) => j.kind === 'record-other-movement')!.id;
        const entries = (reference: string) => sims.xero.bankTransactionsOf(seeded.tenantId).filter((t) => t.reference === reference).length;
        const booked = async () => {
          const row = await withStores((s) => s.otherMovements.byXenditId(seeded.merchantId, m.id));
          return row?.state === 'recorded' && row.xeroFeeEntryId && (await withStores((s) => s.jobs.byId(jobId)))?.state === 'done' ? true : undefined;
        };
        if (movingBack) {
          // Booked whole by the doomed worker; then the bank sends it back, the fee kept or given back, and the next listing sees it.
          await waitFor('the payout and its fee recorded', booked, GUARD_MS);
          sims.xendit.test.reverseMovement(seeded.xenditKey, m.id, undefined, point === 'other-movement-reversal-accepted' ? { fee: 'COMPLETED' } : {});
          await withStores((stores) => listWithdrawalsJob({ stores, xendit: sims.xenditClient, clock: () => new Date(), logger: pino({ level: 'silent' }) })());
        }
        effects = () => [
          entries(`Xendit movement ${m.id}`),
          entries(`Xendit movement fee ${m.id}`),
          ...(movingBack ? [entries(`Xendit movement reversed ${m.id}`), entries(`Xendit movement fee returned ${m.id}`)] : []),
        ];
        settledRow = async () => {
          const row = await withStores((s) => s.otherMovements.byXenditId(seeded.merchantId, m.id));
          if (row && movingBack)
            return { state: row.xeroReversalEntryId && (point === 'other-movement-reversal-accepted' || row.xeroFeeReturnEntryId) ? row.state : 'pending' };
          // The movement is stored before its fee is sent: done only once the fee is stored too.
          return row && movingFee ? { state: row.state === 'recorded' && row.xeroFeeEntryId ? 'recorded' : 'pending' } : row;
        };
      } else {
        await sims.xendit.settle(seeded.xenditInvoiceId, { sendCallback: false }); // only settled money can be withdrawn
        const w = sims.xendit.test.withdraw(seeded.xenditKey, 'IDR', 100_000, feeing ? { fee: { xenditFee: 5_000, vat: 550 } } : {});
        // What the scheduled listing does: a row and a job per withdrawal.
        const list = () =>
          withStores((stores) => listWithdrawalsJob({ stores, xendit: sims.xenditClient, clock: () => new Date(), logger: pino({ level: 'silent' }) })());
        await list();
        jobId = (await withStores((s) => s.jobs.list())).find((j) => j.kind === 'record-withdrawal')!.id;
        if (reversing) {
          // The transfer is booked; then the bank sends the money back and the next listing sees it REVERSED.
          // Its job done too: the listing below queues the finished job again.
          await waitFor(
            'the withdrawal recorded',
            () =>
              withStores(async (s) =>
                (await s.settlements.byXenditId(seeded.merchantId, w.id))?.state === 'recorded' && (await s.jobs.byId(jobId))?.state === 'done'
                  ? true
                  : undefined,
              ),
            GUARD_MS,
          );
          sims.xendit.test.reverseWithdrawal(seeded.xenditKey, w.id);
          await list();
        }
        const withdrawalTxns = () => sims.xero.bankTransactionsOf(seeded.tenantId).filter((t) => t.reference.startsWith('Xendit withdrawal')).length;
        const feeTxns = () => sims.xero.bankTransactionsOf(seeded.tenantId).filter((t) => t.reference === `Xendit withdrawal fee ${w.id}`).length;
        const feeBackTxns = () => sims.xero.bankTransactionsOf(seeded.tenantId).filter((t) => t.reference === `Xendit withdrawal fee returned ${w.id}`).length;
        effects = () =>
          feeBack
            ? [sims.xero.test.bankTransfers(seeded.tenantId).length, feeTxns(), feeBackTxns()]
            : nonBank || feeing
              ? [sims.xero.test.bankTransfers(seeded.tenantId).length, nonBank ? withdrawalTxns() : feeTxns()]
              : [sims.xero.test.bankTransfers(seeded.tenantId).length];
        settledRow = async () => {
          const row = await withStores((s) => s.settlements.byXenditId(seeded.merchantId, w.id));
          // The transfer is stored before the fee is sent: done only once the fee is stored too.
          if (row && feeBack) return { state: row.state === 'reversed' && row.xeroFeeReturnEntryId ? 'reversed' : 'pending' };
          return row && feeing ? { state: row.state === 'recorded' && row.xeroFeeEntryId ? 'recorded' : 'pending' } : row;
        };
      }

      assert.equal(await exitOf(doomed), 'SIGKILL', `${point}: ${doomed.output()}`);
      const expected: Record<Point, number[]> = {
        'refund-credit-accepted': [1, 0, 0],
        'refund-credit-stored': [1, 0, 0],
        'refund-overpayment-accepted': [0, 1, 0],
        'refund-cash-accepted': [1, 1, 0],
        'fee-return-accepted': [1, 1, 1],
        'fee-bill-accepted': [1],
        'withdrawal-transfer-accepted': [1, 0], // the transfer, its fee not sent yet
        'withdrawal-fee-accepted': [1, 1], // the transfer, and the fee's Spend Money
        'withdrawal-fee-return-accepted': [2, 1, 1], // the transfers out and back, the fee's Spend Money and its Receive Money back
        'withdrawal-reversal-accepted': [2], // the transfer out, and the one back
        'withdrawal-receive-accepted': [0, 1], // no transfer: the Receive Money into savings
        'withdrawal-spend-back-accepted': [0, 2], // the Receive Money, and the Spend Money back
        'other-movement-accepted': [1, 0], // the Spend Money out of the clearing account
        'other-movement-fee-accepted': [1, 1], // the payout's Spend Money, and its fee's
        'other-movement-reversal-accepted': [1, 1, 1, 0], // the payout, its fee (kept by Xendit), the Receive Money back
        'other-movement-fee-return-accepted': [1, 1, 1, 1], // and the fee given back, its Receive Money back
      };
      assert.deepEqual(effects(), expected[point], `${point}: Xero at the moment of death`);
      assert.notEqual((await settledRow())?.state, final, `${point}: died before storing the outcome`);
      assert.equal((await withStores((s) => s.jobs.byId(jobId)))?.state, 'running', `${point}: died holding the job`);

      // Taken over later than Xero keeps an Idempotency-Key: only the gateway's own marks and the
      // Reference lookups can keep the second worker from booking again.
      sims.xero.test.forgetIdempotencyKeys(seeded.tenantId);
      const survivor = spawnWorker(pdb.env);
      workers.push(survivor);
      await survivorFinishes(point, survivor, () => withStores((s) => s.jobs.byId(jobId)));

      assert.deepEqual(
        effects(),
        refunding ? [1, overpaid ? 2 : 1, returningFee ? 1 : 0] : nonBank || moving || feeBack ? expected[point] : feeing ? [1, 1] : reversing ? [2] : [1],
        `${point}: exactly one of each`,
      );
      if (overpaid) {
        const refunds = sims.xero.test.refundPayments(seeded.tenantId);
        assert.deepEqual(
          refunds.map((r) => [r.paymentType, r.amount]).sort(),
          [
            ['ARCREDITPAYMENT', 1000000n],
            ['AROVERPAYMENTPAYMENT', 5000000n],
          ],
          'the overpayment refunded whole, the rest on the credit note',
        );
      }
      assert.equal((await settledRow())?.state, final);
    } finally {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await pdb.cleanup();
    }
  }
});
