/**
 * A withdrawal from the merchant's Xendit balance to their bank (manual or Auto-Withdrawal) goes
 * into Xero as a Bank Transfer from the clearing account of its currency to the settlement bank
 * account the merchant picked for that currency, so the clearing account empties as Xendit's
 * balance does. Exactly once, like a refund: the row is made when the listing finds the
 * withdrawal, the attempt is marked before the transfer is sent, and the transfer is looked up by
 * Reference (`Xendit withdrawal <transaction id>`) only when an earlier attempt's outcome is unknown.
 * No settlement bank account picked: the row waits for the merchant (never a guessed account).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import type { Withdrawal } from '../../store/settlements.js';
import { clearingAccountFor, type Merchant } from '../../store/merchants.js';
import type { XeroGateway } from '../../clients/xero/types.js';
import { toDecimal } from '../../money.js';
import { NeedsReview } from '../runner.js';
import { WithdrawalPayload } from '../kinds.js';
import { organisationDate, refusedForNewLock } from './org-date.js';
import { sendOnce } from './send-once.js';
import type { CrashHook } from './crash-points.js';
import { recordFailure, Unrecordable } from './record-failure.js';

export interface RecordWithdrawalDeps {
  stores: Stores;
  xero: XeroGateway;
  clock: Clock;
  logger: Logger;
  /** Tests only: dies at a named point (CRASH_AT). */
  crash?: CrashHook;
}

/** Reference on the Bank Transfer. */
export function withdrawalReference(xenditTransactionId: string): string {
  return `Xendit withdrawal ${xenditTransactionId}`;
}

/** Reference on the Bank Transfer that brings a reversed withdrawal back. */
export function reversalReference(xenditTransactionId: string): string {
  return `Xendit withdrawal reversed ${xenditTransactionId}`;
}

export function recordWithdrawalJob(deps: RecordWithdrawalDeps) {
  return async (job: Job): Promise<void> => {
    const { merchantId, xenditTransactionId, live } = WithdrawalPayload.parse(job.payload);
    const merchant = await deps.stores.merchants.byId(merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${merchantId} no longer exists`);
    const row = await deps.stores.settlements.byXenditId(merchantId, xenditTransactionId);
    if (!row) throw new NeedsReview(`no withdrawal ${xenditTransactionId} was recorded for this merchant`);
    // Done: nothing left, or the transfer out in Xero and not sent back. Keyed on the transfer, not
    // the state, so a row in needs review or waiting again never sends a second transfer out.
    if (row.state === 'reversed' || row.state === 'test_mode' || (row.xeroBankTransferId && !row.reversedAt)) return;
    // Money moved with a test key is no money: it reaches only a Xero organisation marked as a test company.
    if (!live && !merchant.xeroTestOrganisation) return void (await deps.stores.settlements.testMode(row.id, deps.clock()));
    // Sent back before anything went to Xero: nothing to book, either way.
    if (row.reversedAt && !row.xeroBankTransferId && !row.transferAttemptAt) {
      await deps.stores.settlements.reversed(row.id, null, deps.clock());
      deps.logger.info({ merchantId, xenditTransactionId }, 'withdrawal reversed before it was booked: nothing in Xero');
      return;
    }
    const to = row.xeroBankTransferId ? undefined : (await deps.stores.settlements.accounts(merchantId))[row.currency];
    if (!row.xeroBankTransferId && !to) {
      // The admin shows waiting withdrawals per currency next to the picker (settings) and in the report.
      await deps.stores.settlements.waiting(row.id, `no settlement bank account picked for ${row.currency}`, deps.clock());
      deps.logger.info({ merchantId, xenditTransactionId, currency: row.currency }, 'withdrawal waits: no settlement bank account picked');
      return;
    }
    try {
      let out: { clearing: string; bank: string } | undefined;
      if (to) {
        const from = clearingAccountFor(merchant, row.currency);
        if (!from || from === to) throw new Unrecordable(`the settlement bank account for ${row.currency} is the clearing account itself`);
        const transferId = await transferOnce(deps, merchant, row, from, to);
        deps.crash?.('withdrawal-transfer-accepted');
        await deps.stores.settlements.recorded(row.id, transferId, deps.clock());
        deps.logger.info({ merchantId, xenditTransactionId, transferId }, 'withdrawal recorded in Xero as a bank transfer');
        out = { clearing: from, bank: to };
      }
      if (row.reversedAt) {
        // Back between the two accounts the money went between, whatever the settings say today.
        const { clearing, bank } = out ?? (await transferOut(deps, merchant, row));
        const backId = await transferBackOnce(deps, merchant, row, bank, clearing);
        deps.crash?.('withdrawal-reversal-accepted');
        await deps.stores.settlements.reversed(row.id, backId, deps.clock());
        deps.logger.info({ merchantId, xenditTransactionId, transferId: backId }, 'reversed withdrawal: bank transfer back into the clearing account');
      }
    } catch (err) {
      await recordFailure(err, 'bank transfer', {
        needsReview: (reason) => deps.stores.settlements.needsReview(row.id, reason, deps.clock()),
        noteError: (message) => deps.stores.settlements.noteError(row.id, message, deps.clock()),
        newLockDate: (e) => refusedForNewLock(deps, merchant, e),
      });
    }
  };
}

/** The accounts of the transfer out recorded earlier, as Xero holds it. */
async function transferOut(deps: RecordWithdrawalDeps, merchant: Merchant, row: Withdrawal): Promise<{ clearing: string; bank: string }> {
  const found = await deps.xero.findBankTransfersByReference(merchant.xero, withdrawalReference(row.xenditTransactionId));
  const t = found.find((x) => x.bankTransferId === row.xeroBankTransferId);
  if (!t) throw new Unrecordable(`the bank transfer out (${row.xeroBankTransferId}) is no longer in Xero: book the money coming back by hand`);
  return { clearing: t.fromAccountId, bank: t.toAccountId };
}

/**
 * The withdrawal's transfer out of the clearing account. No bank feed will ever carry the clearing
 * side (it is no real bank account): created reconciled, it does not wait in Xero's reconcile screen
 * forever. The settlement bank's own feed carries the money arriving, and the merchant matches that
 * line to this transfer, so the To side stays unreconciled.
 */
function transferOnce(deps: RecordWithdrawalDeps, merchant: Merchant, row: Withdrawal, from: string, to: string): Promise<string> {
  return bankTransferOnce(deps, merchant, row, {
    from,
    to,
    clearingSide: 'from',
    reference: withdrawalReference(row.xenditTransactionId),
    key: `xendit-withdrawal-${row.id}`,
    at: row.withdrawnAt,
    attempted: row.transferAttemptAt !== null,
    mark: (at) => deps.stores.settlements.noteAttempt(row.id, at, deps.clock()),
  });
}

/**
 * The bank sent the withdrawal back and Xendit put it back in the balance: the transfer from the
 * settlement bank account into the clearing account. The bank's feed carries the bounce-back on its
 * side, so only the clearing side is created reconciled.
 */
function transferBackOnce(deps: RecordWithdrawalDeps, merchant: Merchant, row: Withdrawal, bank: string, clearing: string): Promise<string> {
  return bankTransferOnce(deps, merchant, row, {
    from: bank,
    to: clearing,
    clearingSide: 'to',
    reference: reversalReference(row.xenditTransactionId),
    key: `xendit-withdrawal-reversal-${row.id}`,
    at: row.reversedAt ?? deps.clock(),
    attempted: row.reversalAttemptAt !== null,
    mark: (at) => deps.stores.settlements.noteReversalAttempt(row.id, at, deps.clock()),
  });
}

/**
 * One Bank Transfer of the withdrawal's amount, once: marked before it is sent, and looked up by
 * Reference first only when an earlier attempt's outcome is unknown (`attempted`).
 */
async function bankTransferOnce(
  deps: RecordWithdrawalDeps,
  merchant: Merchant,
  row: Withdrawal,
  t: {
    from: string;
    to: string;
    clearingSide: 'from' | 'to';
    reference: string;
    key: string;
    at: Date;
    attempted: boolean;
    mark: (at: Date | null) => Promise<void>;
  },
): Promise<string> {
  if (t.attempted) {
    const found = (await deps.xero.findBankTransfersByReference(merchant.xero, t.reference))[0];
    if (found) return found.bankTransferId;
  }
  const date = await organisationDate(deps, merchant, t.at, row.currency);
  const created = await sendOnce(t.mark, deps.clock(), () =>
    deps.xero.createBankTransfer(
      merchant.xero,
      {
        fromAccountId: t.from,
        toAccountId: t.to,
        amount: toDecimal(row.amount, row.currency),
        date,
        reference: t.reference,
        // Only the clearing side: no feed will ever carry it.
        fromIsReconciled: t.clearingSide === 'from',
        toIsReconciled: t.clearingSide === 'to',
      },
      t.key,
    ),
  );
  return created.bankTransferId;
}
