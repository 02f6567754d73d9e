/**
 * A withdrawal from the merchant's Xendit balance to their bank (manual or Auto-Withdrawal) goes
 * into Xero as a Bank Transfer from the clearing account of its currency to the settlement bank
 * account the merchant picked for that currency, so the clearing account empties as Xendit's
 * balance does. Xero transfers only between BANK accounts, so out of a clearing account of another
 * type (payments enabled, manual-journal fees) it is a Receive Money into the settlement bank
 * account coded to the clearing account instead. Exactly once, like a refund: the row is made when
 * the listing finds the withdrawal, the attempt (and its kind) is marked before the entry is sent,
 * and the entry is looked up by Reference (`Xendit withdrawal <transaction id>`) only when an
 * earlier attempt's outcome is unknown or the job was queued again (send-once.ts).
 * The settlement bank account is the one the merchant picked for the withdrawal's destination (the
 * bank account it went to, as Xendit names it), else the one picked for its currency. Neither: the
 * row waits for the merchant (never a guessed account).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import type { Withdrawal } from '../../store/settlements.js';
import { clearingAccountFor, type Merchant } from '../../store/merchants.js';
import type { XeroBankTransfer, XeroGateway } from '../../clients/xero/types.js';
import { toDecimal, toMinor } from '../../money.js';
import { NeedsReview, RetryLater } from '../runner.js';
import { WithdrawalPayload } from '../kinds.js';
import { refusedForNewLock } from './org-date.js';
import type { CrashHook } from './crash-points.js';
import { recordFailure, Unrecordable } from './record-failure.js';
import { bankTransactionOnce as entryOnceOnBank, entryOnce, type Attempt } from './entry-once.js';
import { requeued, unlessUnsettled } from './send-once.js';
import {
  bankAmount,
  billingWhenWithdrawn,
  feeJournalOnce,
  carriedWhole,
  feeOnce,
  feeReturnToBook,
  feeSentUnknown,
  feeToBook,
  feeToBookNow,
  receiveLinesWithFee,
  receivedWith,
  reversalReference,
  withdrawalReference,
} from './withdrawal-fee.js';
import { feeReturnKind, feeReturnOnce, feeSentEarlier } from './withdrawal-fee-return.js';
import { clearingSide, keptFeeWay, type Out } from './withdrawal-clearing.js';
import { adoptHeld, receivedOut, receivedOutHeld, settleOutSent, transferOut, transferOutHeld } from './withdrawal-out.js';

export { reversalReference, withdrawalReference };

export interface RecordWithdrawalDeps {
  stores: Stores;
  xero: XeroGateway;
  clock: Clock;
  logger: Logger;
  /** Tests only: dies at a named point (CRASH_AT). */
  crash?: CrashHook;
}

export function recordWithdrawalJob(deps: RecordWithdrawalDeps) {
  return async (job: Job): Promise<void> => {
    const { merchantId, xenditTransactionId, live } = WithdrawalPayload.parse(job.payload);
    const merchant = await deps.stores.merchants.byId(merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${merchantId} no longer exists`);
    let row = await deps.stores.settlements.byXenditId(merchantId, xenditTransactionId);
    if (!row) throw new NeedsReview(`no withdrawal ${xenditTransactionId} was recorded for this merchant`);
    // Fees billed monthly when it was made are on that month's bill, whatever the setting is now.
    const billing = await billingWhenWithdrawn(deps, merchant, row);
    // Done: nothing left, or the transfer out in Xero and not sent back. Keyed on the transfer, not
    // the state, so a row in needs review or waiting again never sends a second transfer out.
    // Reversed and booked back, the fee Xendit gave back too when it was booked, one it kept too (withdrawal-fee.ts).
    const feeLeft = (r: Withdrawal) => !!feeReturnToBook(r) || !!feeToBookNow(r, billing) || feeSentUnknown(r);
    if (row.state === 'test_mode' || (row.state === 'reversed' && !feeLeft(row))) return;
    if (row.xeroBankTransferId && !row.reversedAt && !feeToBook(row, billing)) return;
    // Money moved with a test key is no money: it reaches only a Xero organisation marked as a test company.
    if (!live && !merchant.xeroTestOrganisation) return void (await deps.stores.settlements.testMode(row.id, deps.clock()));
    // Sent without an answer before its settlement bank account was removed: Xero's answer decides (withdrawal-out.ts).
    if (!row.xeroBankTransferId && row.transferAttemptAt && !(await deps.stores.settlements.accountFor(merchantId, row.currency, row.accountIdentifier)))
      row = await settleOutSent(deps, merchant, row);
    // Sent back before anything went to Xero: no entry out or back, either way; only a fee Xendit kept left
    // its balance, and it may give it back later (booked by then: its return is).
    const neverOut = !!row.reversedAt && !row.xeroBankTransferId && !row.transferAttemptAt;
    if (neverOut && !feeLeft(row)) {
      await deps.stores.settlements.reversed(row.id, null, deps.clock());
      deps.logger.info({ merchantId, xenditTransactionId }, 'withdrawal reversed before it was booked: nothing in Xero');
      return;
    }
    // Booked already (a transfer out in Xero): never moved, whatever was picked since.
    const picked = row.xeroBankTransferId || neverOut ? null : await deps.stores.settlements.accountFor(merchantId, row.currency, row.accountIdentifier);
    const to = picked?.accountId;
    if (!row.xeroBankTransferId && !neverOut && !to) {
      // The admin shows waiting withdrawals per currency and destination next to the pickers (settings) and in the report.
      const waits = await deps.stores.settlements.waiting(row.id, `no settlement bank account picked for ${row.currency}`, deps.clock(), job);
      if (waits === 'claimLost') {
        deps.logger.warn({ merchantId, xenditTransactionId }, 'withdrawal left as it is: this run lost its job to another claim');
        return;
      }
      // Saved since the read above, too early to resume this row (it was not waiting yet): run again to book it.
      if (waits === 'accountSaved') throw new RetryLater(`a settlement bank account for ${row.currency} was picked while this run looked`, 1);
      deps.logger.info({ merchantId, xenditTransactionId, currency: row.currency }, 'withdrawal waits: no settlement bank account picked');
      return;
    }
    // What a refusal names: the entry being made when it came.
    let what = 'bank transfer';
    // Queued again (Retry from review, a settlement account saved): it may have been booked by hand meanwhile.
    const lookFirst = requeued(job);
    try {
      let out: Out | undefined;
      // The row as this run leaves it: what the entry out carried, and whether it booked the fee.
      let booked = row;
      if (to) {
        const from = clearingAccountFor(merchant, row.currency);
        if (!from || from === to) throw new Unrecordable(`the settlement bank account for ${row.currency} is the clearing account itself`);
        const clearing = await clearingSide(deps, merchant, row, from);
        if (clearing.kind === 'transfer') {
          const { transferId, amount } = await transferOnce(deps, merchant, row, from, to, lookFirst);
          deps.crash?.('withdrawal-transfer-accepted');
          await deps.stores.settlements.recorded(row.id, transferId, deps.clock(), { amount });
          booked = { ...row, xeroBankTransferId: transferId, transferAmount: amount, entryKind: 'transfer' };
          if (amount !== bankAmount(row) && feeToBook(row, billing))
            deps.logger.warn(
              { merchantId, xenditTransactionId, fee: row.fee },
              "Xendit's fee came out of a withdrawal whose transfer carried the whole amount: not booked",
            );
          deps.logger.info({ merchantId, xenditTransactionId, transferId, byDestination: picked?.mapped }, 'withdrawal recorded in Xero as a bank transfer');
        } else {
          what = 'receive money';
          // The fee known now goes on the Receive Money's own lines: no Spend Money can leave this clearing account.
          const withFee = feeToBookNow(row, billing) > 0;
          const got = await receiveOnce(deps, merchant, row, { id: from, code: clearing.code }, to, lookFirst, withFee);
          const transactionId = got.transactionId;
          deps.crash?.('withdrawal-receive-accepted');
          const feeEntryId = got.withFee ? transactionId : undefined;
          await deps.stores.settlements.recorded(row.id, transactionId, deps.clock(), { amount: got.amount, ...(feeEntryId ? { feeEntryId } : {}) });
          const fee = feeEntryId ? { xeroFeeEntryId: feeEntryId, feeAttemptAt: null } : {};
          booked = { ...row, xeroBankTransferId: transactionId, transferAmount: got.amount, entryKind: 'receive', ...fee };
          deps.logger.info({ merchantId, xenditTransactionId, transactionId }, 'withdrawal recorded in Xero as receive money into the settlement bank');
        }
        out = clearing.kind === 'transfer' ? { kind: 'transfer', clearing: from, bank: to } : { kind: 'receive', code: clearing.code, bank: to };
      }
      if (neverOut && feeToBookNow(row, billing)) out = await keptFeeWay(deps, merchant, row);
      // Coming back: the transfer back moves what the transfer out moves in Xero now (mended by a person,
      // or stored before what it carried was kept), stored first; one the gateway cannot judge is a person's.
      const backDue = !neverOut && !!row.reversedAt && row.state !== 'reversed' && !row.xeroReversalTransferId;
      if (backDue && !out) {
        const held = await (row.entryKind === 'receive' ? receivedOutHeld : transferOutHeld)(deps, merchant, booked, lookFirst);
        booked = await adoptHeld(deps, booked, held);
        if (held.adopt)
          deps.logger.warn(
            { merchantId, xenditTransactionId, ...held.adopt },
            'the transfer out in Xero is not the one the gateway sent (or a fee was booked by hand): what comes back follows it',
          );
        out = held.out;
      }
      // A fee whose create may still be in the making at Xero waits alone: the transfer back does not hang on it.
      const feeWaits = await unlessUnsettled(async () => {
        if (feeToBookNow(booked, billing)) {
          // Out of the clearing account the entry out left, as Xero holds it.
          const way = out ?? (row.entryKind === 'receive' ? await receivedOut(deps, merchant, row) : await transferOut(deps, merchant, row));
          what = way.kind === 'transfer' ? 'spend money (withdrawal fee)' : 'manual journal (withdrawal fee)';
          // A fee learnt after the whole amount was booked: a person was told to book it by hand under
          // its Reference (alerts withdrawalFeeNotBooked), so Xero is asked before it is booked again.
          // So may one inside the amount of a withdrawal sent back: the transfer out mended (transferOutHeld) leaves it whole no more.
          const look = lookFirst || carriedWhole(booked) || (booked.feeInAmount && !!booked.reversedAt);
          const feeId =
            way.kind === 'transfer' ? await feeOnce(deps, merchant, booked, way.clearing, look) : await feeJournalOnce(deps, merchant, booked, way.code, look);
          deps.crash?.('withdrawal-fee-accepted');
          await deps.stores.settlements.feeRecorded(row.id, feeId, deps.clock());
          deps.logger.info({ merchantId, xenditTransactionId, feeId, kind: way.kind }, 'withdrawal fee recorded in Xero out of the clearing account');
        } else if (feeSentUnknown(booked)) {
          // Given back before this retry of its create: stored if Xero made it, and given back below.
          what = 'withdrawal fee';
          const feeId = await feeSentEarlier(deps, merchant, booked);
          if (feeId) await deps.stores.settlements.feeRecorded(row.id, feeId, deps.clock());
          else await deps.stores.settlements.noteFeeAttempt(row.id, null, deps.clock());
          booked = { ...booked, xeroFeeEntryId: feeId, feeAttemptAt: null };
        }
      });
      if (neverOut) {
        // Nothing else to book: the row stays as it is until its fee is known to be in Xero or not.
        if (feeWaits) throw feeWaits;
        await deps.stores.settlements.reversed(row.id, null, deps.clock());
      }
      // Not again once booked: a row back in review for its fee's return has its transfer back.
      else if (backDue) {
        // Back between the two accounts the money went between, whatever the settings say today, and
        // what the entry out carried (`booked`: found and recorded by this run too).
        const way = out ?? (row.entryKind === 'receive' ? await receivedOut(deps, merchant, row) : await transferOut(deps, merchant, row));
        if (way.kind === 'transfer') {
          what = 'bank transfer';
          const backId = await transferBackOnce(deps, merchant, booked, way.bank, way.clearing, lookFirst);
          deps.crash?.('withdrawal-reversal-accepted');
          await deps.stores.settlements.reversed(row.id, backId, deps.clock());
          deps.logger.info({ merchantId, xenditTransactionId, transferId: backId }, 'reversed withdrawal: bank transfer back into the clearing account');
        } else {
          what = 'spend money';
          const backId = await spendBackOnce(deps, merchant, booked, way.bank, way.code, lookFirst);
          deps.crash?.('withdrawal-spend-back-accepted');
          await deps.stores.settlements.reversed(row.id, backId, deps.clock());
          deps.logger.info(
            { merchantId, xenditTransactionId, transactionId: backId },
            'reversed withdrawal: spend money out of the settlement bank, coded to the clearing account',
          );
        }
      }
      // As this run leaves it: a fee it found booked (on the Receive Money out, or sent earlier) comes back now.
      if (feeReturnToBook(booked)) {
        const kind = await feeReturnKind(deps, merchant, booked);
        what = `${kind} (withdrawal fee given back)`;
        const backId = await feeReturnOnce(deps, merchant, booked, kind, lookFirst);
        deps.crash?.('withdrawal-fee-return-accepted');
        await deps.stores.settlements.feeReturnRecorded(row.id, backId, deps.clock());
        deps.logger.info(
          { merchantId, xenditTransactionId, transactionId: backId },
          `reversed withdrawal: its fee given back, ${kind} into the clearing account`,
        );
      }
      if (feeWaits) throw feeWaits;
    } catch (err) {
      await recordFailure(err, what, {
        needsReview: (reason) => deps.stores.settlements.needsReview(row.id, reason, deps.clock()),
        noteError: (message) => deps.stores.settlements.noteError(row.id, message, deps.clock()),
        newLockDate: (e) => refusedForNewLock(deps, merchant, e),
      });
    }
  };
}

/**
 * The withdrawal's transfer out of the clearing account. No bank feed will ever carry the clearing
 * side (it is no real bank account): created reconciled, it does not wait in Xero's reconcile screen
 * forever. The settlement bank's own feed carries the money arriving, and the merchant matches that
 * line to this transfer, so the To side stays unreconciled.
 */
async function transferOnce(
  deps: RecordWithdrawalDeps,
  merchant: Merchant,
  row: Withdrawal,
  from: string,
  to: string,
  lookFirst: boolean,
): Promise<{ transferId: string; amount: number }> {
  // What the transfer carried: as sent, or as Xero holds the one an earlier attempt (or a person) made.
  let amount = bankAmount(row);
  const transferId = await bankTransferOnce(deps, merchant, row, {
    from,
    to,
    clearingSide: 'from',
    reference: withdrawalReference(row.xenditTransactionId),
    key: `xendit-withdrawal-${row.id}`,
    at: row.withdrawnAt,
    sentAt: row.transferAttemptAt,
    lookFirst,
    mark: (at) => deps.stores.settlements.noteAttempt(row.id, 'transfer', at, deps.clock(), at ? from : undefined),
    found: (t) => (amount = toMinor(t.amount, row.currency)),
  });
  return { transferId, amount };
}

/**
 * The bank sent the withdrawal back and Xendit put it back in the balance: the transfer from the
 * settlement bank account into the clearing account. The bank's feed carries the bounce-back on its
 * side, so only the clearing side is created reconciled.
 */
function transferBackOnce(
  deps: RecordWithdrawalDeps,
  merchant: Merchant,
  row: Withdrawal,
  bank: string,
  clearing: string,
  lookFirst: boolean,
): Promise<string> {
  return bankTransferOnce(deps, merchant, row, {
    from: bank,
    to: clearing,
    clearingSide: 'to',
    reference: reversalReference(row.xenditTransactionId),
    key: `xendit-withdrawal-reversal-${row.id}`,
    at: row.reversedAt ?? deps.clock(),
    sentAt: row.reversalAttemptAt,
    lookFirst,
    mark: (at) => deps.stores.settlements.noteReversalAttempt(row.id, at, deps.clock()),
  });
}

/** One Bank Transfer of the withdrawal's amount, once (entryOnce). */
function bankTransferOnce(
  deps: RecordWithdrawalDeps,
  merchant: Merchant,
  row: Withdrawal,
  t: Attempt & { from: string; to: string; clearingSide: 'from' | 'to'; found?: (t: XeroBankTransfer) => void },
): Promise<string> {
  return entryOnce(deps, merchant, row.currency, {
    ...t,
    find: async () => {
      const [x] = await deps.xero.findBankTransfersByReference(merchant.xero, t.reference);
      if (x) t.found?.(x);
      return x?.bankTransferId;
    },
    create: async (date) =>
      (
        await deps.xero.createBankTransfer(
          merchant.xero,
          {
            fromAccountId: t.from,
            toAccountId: t.to,
            amount: toDecimal(bankAmount(row), row.currency),
            date,
            reference: t.reference,
            // Only the clearing side: no feed will ever carry it.
            fromIsReconciled: t.clearingSide === 'from',
            toIsReconciled: t.clearingSide === 'to',
          },
          t.key,
        )
      ).bankTransferId,
  });
}

/**
 * The withdrawal from a non-bank clearing account: Receive Money into the settlement bank account,
 * its line coded to the clearing account (which it credits). `withFee`: Xendit's fee on lines of its
 * own (withdrawal-fee.ts receiveLinesWithFee). Not reconciled: the settlement bank's feed carries the
 * deposit, and the merchant matches that line to this transaction. Returns what it carried into the
 * bank and whether it holds the fee: as sent, or as Xero holds the one an earlier attempt made.
 */
async function receiveOnce(
  deps: RecordWithdrawalDeps,
  merchant: Merchant,
  row: Withdrawal,
  clearing: { id: string; code: string },
  bank: string,
  lookFirst: boolean,
  withFee: boolean,
): Promise<{ transactionId: string; amount: number; withFee: boolean }> {
  let sent = { amount: bankAmount(row), withFee };
  const transactionId = await entryOnceOnBank(
    deps,
    merchant,
    { currency: row.currency, amount: bankAmount(row) },
    {
      type: 'RECEIVE',
      bank,
      ...(withFee
        ? { lines: receiveLinesWithFee(merchant, row, clearing.code) }
        : { accountCode: clearing.code, description: `Xendit withdrawal ${row.xenditTransactionId} from the Xendit balance` }),
      reconciled: false,
      found: (t) => (sent = receivedWith(t, row, clearing.code)),
      reference: withdrawalReference(row.xenditTransactionId),
      key: `xendit-withdrawal-receive-${row.id}`,
      at: row.withdrawnAt,
      sentAt: row.transferAttemptAt,
      lookFirst,
      mark: (at) => deps.stores.settlements.noteAttempt(row.id, 'receive', at, deps.clock(), at ? clearing.id : undefined),
    },
  );
  return { transactionId, ...sent };
}

/**
 * The bank sent back a withdrawal booked as Receive Money: Spend Money out of that settlement bank
 * account coded to the clearing account (which it debits). Not reconciled: the bank's feed carries
 * the bounce-back.
 */
function spendBackOnce(
  deps: RecordWithdrawalDeps,
  merchant: Merchant,
  row: Withdrawal,
  bank: string,
  clearingCode: string,
  lookFirst: boolean,
): Promise<string> {
  return bankTransactionOnce(deps, merchant, row, {
    type: 'SPEND',
    bank,
    clearingCode,
    description: `Xendit withdrawal ${row.xenditTransactionId} sent back by the bank to the Xendit balance`,
    reference: reversalReference(row.xenditTransactionId),
    key: `xendit-withdrawal-spend-back-${row.id}`,
    at: row.reversedAt ?? deps.clock(),
    sentAt: row.reversalAttemptAt,
    lookFirst,
    mark: (at) => deps.stores.settlements.noteReversalAttempt(row.id, at, deps.clock()),
  });
}

/** One bank transaction of the withdrawal's amount, not reconciled: the settlement bank's feed carries it. */
function bankTransactionOnce(
  deps: RecordWithdrawalDeps,
  merchant: Merchant,
  row: Withdrawal,
  t: Attempt & { type: 'RECEIVE' | 'SPEND'; bank: string; clearingCode: string; description: string },
): Promise<string> {
  return entryOnceOnBank(deps, merchant, { currency: row.currency, amount: bankAmount(row) }, { ...t, accountCode: t.clearingCode, reconciled: false });
}
