/**
 * One of Xendit's other balance movements (list-other-movements.ts) put into Xero, for a merchant
 * who picked an account to book them against: money out of the balance (MONEY_OUT: a payout, a
 * transfer into the Billing Balance, a platform fee) is Spend Money out of the clearing account of
 * its currency, money in (MONEY_IN: a top-up, cashback) Receive Money into it, its one line on the
 * picked account. Created reconciled: no bank feed will ever carry the clearing account's side.
 * Exactly once, like a withdrawal (entry-once.ts): the row is made when the listing finds the
 * movement, the attempt (and the clearing account) is marked before the entry is sent, and the entry
 * is looked up by Reference (`Xendit movement <transaction id>`) when an earlier attempt's outcome is
 * unknown or the job was queued again (send-once.ts). Xendit's fee on it (a payout's) follows as a
 * Spend Money of its own (movement-fee.ts), also when learnt after the entry was booked. Listed
 * REVERSED later (a payout the bank sent back), what was booked is booked back, once, its fee by
 * whether Xendit gave it back (movement-reversal.ts).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import type { OtherMovement } from '../../store/other-movements.js';
import { clearingAccountFor, type Merchant } from '../../store/merchants.js';
import type { XeroGateway } from '../../clients/xero/types.js';
import { IN_BALANCE_TYPES } from '../../clients/xendit/movements.js';
import { NeedsReview } from '../runner.js';
import { OtherMovementPayload } from '../kinds.js';
import { refusedForNewLock } from './org-date.js';
import type { CrashHook } from './crash-points.js';
import { recordFailure, Unrecordable } from './record-failure.js';
import { bankTransactionOnce } from './entry-once.js';
import { notWhileUnsettled, requeued } from './send-once.js';
import { movementEntryAmount, movementFeeToBook, movementReference, tellFeeNotBooked } from './movement-fee.js';
import { feeOnce, reversedMovement } from './movement-reversal.js';

export interface RecordOtherMovementDeps {
  stores: Stores;
  xero: XeroGateway;
  clock: Clock;
  logger: Logger;
  /** Tests only: dies at a named point (CRASH_AT). */
  crash?: CrashHook;
}

export { movementReference };

export function recordOtherMovementJob(deps: RecordOtherMovementDeps) {
  return async (job: Job): Promise<void> => {
    const { merchantId, xenditTransactionId, live } = OtherMovementPayload.parse(job.payload);
    const merchant = await deps.stores.merchants.byId(merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${merchantId} no longer exists`);
    const row = await deps.stores.otherMovements.byXenditId(merchantId, xenditTransactionId);
    if (!row) throw new NeedsReview(`no balance movement ${xenditTransactionId} was recorded for this merchant`);
    if (row.state === 'test_mode' || row.state === 'off') return;
    // Money moved with a test key is no money: it reaches only a Xero organisation marked as a test
    // company, reversed or not (a fee Xendit kept on it too), as a withdrawal's job checks first.
    if (!live && !merchant.xeroTestOrganisation) return void (await deps.stores.otherMovements.testMode(row.id, deps.clock()));
    if (row.reversedAt) return reversedMovement(deps, merchant, row, requeued(job));
    // How Xendit charged its fees when it moved: billed monthly, none was taken from the balance.
    const billing = (await deps.stores.feeBills.billingAt(merchant))(row.movedAt);
    // Keyed on the entries, not the state: a row in needs review never sends a second one.
    // A fee inside an amount booked whole is not booked: a person is told (movement-fee.ts tellFeeNotBooked).
    if (row.xeroBankTransactionId && !movementFeeToBook(row, billing)) return void (await tellFeeNotBooked(deps, row, billing));
    // Found and queued by an earlier version, which booked reserves: a move inside the balance, never
    // booked (clients/xendit/movements.ts IN_BALANCE_TYPES). An attempt already sent is finished below.
    if (!row.attemptAt && !row.xeroBankTransactionId && IN_BALANCE_TYPES.has(row.type)) {
      await deps.stores.otherMovements.off(row.id, `${row.type} moves money to or from the reserve inside the Xendit balance: not booked`, deps.clock());
      return;
    }
    const accountCode = merchant.otherMovementsAccountCode;
    // Turned off since it was found (or off and on again after it moved): the merchant's to book. An
    // attempt already sent is finished whatever the setting says, or its entry would be left unstored.
    // Its fee follows an entry booked, whatever the setting says now.
    if (!row.attemptAt && !row.xeroBankTransactionId && (!accountCode || !merchant.otherMovementsSince || row.movedAt < merchant.otherMovementsSince)) {
      await deps.stores.otherMovements.off(row.id, 'booking of other balance movements was off when it was to be booked', deps.clock());
      deps.logger.info({ merchantId, xenditTransactionId }, 'other balance movement not booked: the setting is off');
      return;
    }
    let what = row.amount < 0 ? 'spend money' : 'receive money';
    try {
      // The entry's own clearing account once it was sent there: its fee leaves the same one.
      const clearing = row.clearingAccount ?? clearingAccountFor(merchant, row.currency);
      if (!clearing) throw new Unrecordable(`no clearing account for ${row.currency}`);
      if (row.xeroBankTransactionId) {
        what = 'spend money (movement fee)';
        return void (await feeOnce(deps, merchant, row, clearing, requeued(job)));
      }
      if (!accountCode) {
        // Turned off after an attempt whose outcome is unknown: stored if Xero took it, never sent again.
        const found = (await deps.xero.findBankTransactionsByReference(merchant.xero, movementReference(row.xenditTransactionId)))[0];
        if (found) return void (await deps.stores.otherMovements.recorded(row.id, found.bankTransactionId, deps.clock()));
        // Not a person's to book while Xero may still be making it: they would book it twice.
        notWhileUnsettled(deps.clock(), row.attemptAt, what);
        throw new Unrecordable('booking of other balance movements was turned off while this one was being sent: book it by hand if it is not in Xero');
      }
      // Spend and Receive Money are made on bank accounts only (xero_accounting.yaml BankTransaction.BankAccount).
      const account = row.attemptAt ? null : await deps.xero.getAccount(merchant.xero, clearing);
      if (!row.attemptAt && account?.type !== 'BANK')
        throw new Unrecordable(
          account
            ? `the clearing account ${account.name} for ${row.currency} is not a bank account: Xero makes Spend and Receive Money only on bank accounts; book ${row.type} ${row.xenditTransactionId} by hand`
            : `the clearing account ${clearing} for ${row.currency} does not exist in Xero`,
        );
      const entryId = await entryOnce(deps, merchant, row, clearing, accountCode, movementEntryAmount(row, billing), requeued(job));
      deps.crash?.('other-movement-accepted');
      await deps.stores.otherMovements.recorded(row.id, entryId, deps.clock());
      deps.logger.info({ merchantId, xenditTransactionId, transactionId: entryId }, 'other balance movement recorded in Xero');
      // Read again: a fee the listing learnt, or a reversal it saw, while this ran is dealt with now, not left to a later run.
      const now = await deps.stores.otherMovements.byXenditId(merchantId, xenditTransactionId);
      if (now?.reversedAt) return await reversedMovement(deps, merchant, now, requeued(job));
      if (now && movementFeeToBook(now, billing)) {
        what = 'spend money (movement fee)';
        await feeOnce(deps, merchant, now, clearing, requeued(job));
      } else if (now) await tellFeeNotBooked(deps, now, billing);
    } catch (err) {
      await recordFailure(err, what, {
        needsReview: (reason) => deps.stores.otherMovements.needsReview(row.id, reason, deps.clock()),
        noteError: (message) => deps.stores.otherMovements.noteError(row.id, message, deps.clock()),
        newLockDate: (e) => refusedForNewLock(deps, merchant, e),
      });
    }
  };
}

function entryOnce(
  deps: RecordOtherMovementDeps,
  merchant: Merchant,
  row: OtherMovement,
  clearing: string,
  accountCode: string,
  amount: number,
  lookFirst: boolean,
): Promise<string> {
  const out = row.amount < 0;
  return bankTransactionOnce(
    deps,
    merchant,
    { currency: row.currency, amount },
    {
      type: out ? 'SPEND' : 'RECEIVE',
      bank: clearing,
      accountCode,
      description: `Xendit ${row.type} ${row.xenditTransactionId} ${out ? 'out of' : 'into'} the Xendit balance`,
      reference: movementReference(row.xenditTransactionId),
      key: `xendit-movement-${row.id}`,
      at: row.movedAt,
      sentAt: row.attemptAt,
      lookFirst,
      // The clearing account is kept with the mark: the report reads the accounts posted to.
      mark: (at) => deps.stores.otherMovements.noteAttempt(row.id, at, deps.clock(), at ? { account: clearing, amount } : undefined),
      reconciled: true,
    },
  );
}
