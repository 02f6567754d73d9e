/**
 * One of Xendit's other balance movements listed REVERSED (a payout the receiving bank sent back)
 * after its entry was booked: booked back by its own job (record-other-movement.ts), once, as a
 * reversed withdrawal is (record-withdrawal.ts):
 * - its entry as Xero holds it (a Spend Money out of the clearing account for money out, a Receive
 *   Money into it for money in) gets the opposite one on the same bank account, coded to the same
 *   account, of what it carried, Reference `Xendit movement reversed <id>`, reconciled as it was,
 *   dated the day it came back (reversed_at) in the organisation's date (org-date.ts);
 * - Xendit's fee on it (movement-fee.ts), by the reversed transaction's fee status (xendit-node
 *   FeeResponse.status, read by clients/xendit/movements.ts): COMPLETED, Xendit kept it, and it stays
 *   booked (booked now if it was not yet, alone when the movement came back before its entry was
 *   booked, as a withdrawal's: record-withdrawal.ts keptFeeWay); REVERSED or CANCELED, given back: a fee booked comes back as
 *   a Receive Money into the account its Spend Money left, Reference `Xendit movement fee returned <id>`,
 *   dated the day Xendit gave it back (fee_returned_at when it kept the fee at the reversal, else reversed_at).
 * Each is marked before it is sent (fenced on the job's claim: claimed-stores.ts) and looked up by its
 * Reference first on a requeue or an attempt whose outcome is unknown (send-once.ts), so a crash, a
 * lost answer or one booked by hand never makes a second. An entry whose outcome was unknown when the
 * movement came back is looked up first: not made, nothing is booked either way.
 * Rows the release before sent to review (reversal_told_at) stay the person's: their Retry settles them.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { OtherMovement } from '../../store/other-movements.js';
import { clearingAccountFor, type Merchant, type XenditFeeBilling } from '../../store/merchants.js';
import type { XeroBankTransaction, XeroGateway } from '../../clients/xero/types.js';
import { toDecimal, toMinor } from '../../money.js';
import type { CrashHook } from './crash-points.js';
import { refusedForNewLock } from './org-date.js';
import { recordFailure, Unrecordable } from './record-failure.js';
import { bankTransactionOnce } from './entry-once.js';
import { foundEarlier, unlessUnsettled } from './send-once.js';
import { movementFeeMayBeByHand, movementFeeOnce, movementFeeReference, movementFeeToBook, movementReference } from './movement-fee.js';

export type MovementDeps = { stores: Stores; xero: XeroGateway; clock: Clock; logger: Logger; crash?: CrashHook };

export function movementReversalReference(xenditTransactionId: string): string {
  return `Xendit movement reversed ${xenditTransactionId}`;
}

export function movementFeeReturnReference(xenditTransactionId: string): string {
  return `Xendit movement fee returned ${xenditTransactionId}`;
}

const live = (t: XeroBankTransaction) => t.status !== 'DELETED' && t.status !== 'VOIDED';

/** Xendit's fee on the movement, once its entry is booked, stored (movement-fee.ts). */
export async function feeOnce(deps: MovementDeps, merchant: Merchant, row: OtherMovement, clearing: string, lookFirst: boolean): Promise<string> {
  // One a person may have booked by hand (alerts movementFeeNotBooked) is looked for first: never a second.
  const feeId = await movementFeeOnce(deps, merchant, row, clearing, lookFirst || movementFeeMayBeByHand(row));
  deps.crash?.('other-movement-fee-accepted');
  await deps.stores.otherMovements.feeRecorded(row.id, feeId, deps.clock());
  deps.logger.info(
    { merchantId: merchant.id, xenditTransactionId: row.xenditTransactionId, feeId },
    'movement fee recorded in Xero as spend money from the clearing account',
  );
  return feeId;
}

/** A reversed movement's job: nothing booked and no fee kept, nothing to do; told to a person before, settled; else booked back. `requeued`: send-once.ts. */
export async function reversedMovement(deps: MovementDeps, merchant: Merchant, row: OtherMovement, requeued: boolean): Promise<void> {
  const now = deps.clock();
  const billing = (await deps.stores.feeBills.billingAt(merchant))(row.movedAt);
  // Nothing sent for it or its fee: only a fee Xendit kept left the balance (movementFeeToBook: none given back, or billed monthly).
  const nothingSent = !row.xeroBankTransactionId && !row.attemptAt && !row.xeroFeeEntryId && !row.feeAttemptAt;
  if (nothingSent && !movementFeeToBook(row, billing)) return nothingBooked(deps, row);
  // That fee alone is booked as any movement is, only while the setting is on for it (record-other-movement.ts).
  if (nothingSent && (!merchant.otherMovementsAccountCode || !merchant.otherMovementsSince || row.movedAt < merchant.otherMovementsSince))
    return void (await deps.stores.otherMovements.off(row.id, 'booking of other balance movements was off when it was to be booked', now));
  // Sent to review by the release before: a person may have voided the entries by hand.
  if (row.reversalToldAt) return void (await deps.stores.otherMovements.reversalSettled(row.id, now));
  const what = { now: 'receive money' };
  try {
    await bookBack(deps, merchant, row, requeued, what, billing);
  } catch (err) {
    await recordFailure(err, what.now, {
      needsReview: (reason) => deps.stores.otherMovements.needsReview(row.id, reason, deps.clock()),
      noteError: (message) => deps.stores.otherMovements.noteError(row.id, message, deps.clock()),
      newLockDate: (e) => refusedForNewLock(deps, merchant, e),
    });
  }
}

async function nothingBooked(deps: MovementDeps, row: OtherMovement): Promise<void> {
  await deps.stores.otherMovements.off(row.id, 'sent back into the Xendit balance (REVERSED) before it was booked: nothing to book', deps.clock());
  deps.logger.info({ merchantId: row.merchantId, xenditTransactionId: row.xenditTransactionId }, 'other balance movement reversed before it was booked');
}

/** Each step stored before the next; a re-run starts from the first one not stored. */
async function bookBack(
  deps: MovementDeps,
  merchant: Merchant,
  row: OtherMovement,
  requeued: boolean,
  what: { now: string },
  billing: XenditFeeBilling,
): Promise<void> {
  const id = row.xenditTransactionId;
  const clearing = row.clearingAccount ?? clearingAccountFor(merchant, row.currency);
  if (!clearing) throw new Unrecordable(`no clearing account for ${row.currency}`);
  const find = async (reference: string, type: string) =>
    (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).find((t) => t.type === type && live(t));
  const out = row.amount < 0;
  // Its entry's outcome unknown when it came back: Xero's answer decides, and nothing is sent for it now.
  let entryId = row.xeroBankTransactionId;
  if (!entryId && row.attemptAt) {
    const found = await foundEarlier(
      deps.clock(),
      { sentAt: row.attemptAt, lookFirst: true },
      () => find(movementReference(id), out ? 'SPEND' : 'RECEIVE'),
      `entry ${movementReference(id)}`,
    );
    if (found) await deps.stores.otherMovements.recorded(row.id, (entryId = found.bankTransactionId), deps.clock());
  }
  let feeId = row.xeroFeeEntryId;
  // A fee whose create may still be in the making at Xero waits alone: the entry back does not hang on it.
  const feeWaits = await unlessUnsettled(async () => {
    if (!feeId && row.feeAttemptAt && row.feeReturned) {
      // Given back: a fee attempt Xero took is booked back below; one it did not is never sent.
      what.now = 'spend money (movement fee)';
      const found = await foundEarlier(
        deps.clock(),
        { sentAt: row.feeAttemptAt, lookFirst: true },
        () => find(movementFeeReference(id), 'SPEND'),
        `entry ${movementFeeReference(id)}`,
      );
      if (found) await deps.stores.otherMovements.feeRecorded(row.id, (feeId = found.bankTransactionId), deps.clock());
    } else if (!feeId && row.feeReturned && movementFeeMayBeByHand(row)) {
      // Given back, a fee the gateway never booked may have been booked by hand (alerts movementFeeNotBooked):
      // stored first, it comes back below as the gateway's own would; none, nothing comes back.
      what.now = 'spend money (movement fee)';
      const byHand = await handFee(deps, merchant, row, clearing, requeued);
      if (byHand) await deps.stores.otherMovements.feeRecorded(row.id, (feeId = byHand), deps.clock());
    } else if (
      !feeId &&
      (row.feeAttemptAt || movementFeeToBook(entryId ? { ...row, xeroBankTransactionId: entryId } : { ...row, attemptAt: null, entryAmount: null }, billing))
    ) {
      // Kept by Xendit (COMPLETED on the reversed listing): it left the balance for good, also when
      // the movement came back before its entry was booked (then the fee is all that is booked).
      what.now = 'spend money (movement fee)';
      feeId = await feeOnce(deps, merchant, row, clearing, requeued);
    }
  });
  // Nothing else to book while the fee waits: whether anything was booked is not known yet.
  if (feeWaits && !entryId) throw feeWaits;
  // Its entry never made: nothing to book back; a fee booked alone is given back below if Xendit gave it back.
  if (!entryId && !feeId) return nothingBooked(deps, row);
  if (entryId && !row.xeroReversalEntryId) {
    what.now = out ? 'receive money (movement reversed)' : 'spend money (movement reversed)';
    const backId = await entryBackOnce(deps, merchant, row, entryId, requeued);
    // Settled by a person's Retry (its entry voided by them): a fee Xendit gave back is still booked back below.
    if (backId !== null) {
      deps.crash?.('other-movement-reversal-accepted');
      await deps.stores.otherMovements.reversalRecorded(row.id, backId, deps.clock());
      deps.logger.info(
        { merchantId: merchant.id, xenditTransactionId: id, transactionId: backId },
        'reversed balance movement booked back on the clearing account',
      );
    }
  }
  if (row.feeReturned && feeId && !row.xeroFeeReturnEntryId) {
    what.now = 'receive money (movement fee returned)';
    const backId = await feeBackOnce(deps, merchant, row, feeId, requeued);
    if (backId === null) return;
    deps.crash?.('other-movement-fee-return-accepted');
    await deps.stores.otherMovements.feeReturnRecorded(row.id, backId, deps.clock());
    deps.logger.info(
      { merchantId: merchant.id, xenditTransactionId: id, transactionId: backId },
      'reversed balance movement: its fee given back, receive money into the clearing account',
    );
  }
  // Not settled while its fee waits: the job comes back for it.
  if (feeWaits) throw feeWaits;
  // Everything booked back (the listing left it pending: store/other-movements.ts noteReversed).
  await deps.stores.otherMovements.reversalSettled(row.id, deps.clock());
}

/**
 * The opposite of its entry as Xero holds it, once; its id, or null when there is nothing to book
 * back: its entry was voided or deleted by a person, who retried from review (settled, as they left
 * it). Found gone on any other run (the listing's requeue): review, as docs/money.md says.
 */
async function entryBackOnce(deps: MovementDeps, merchant: Merchant, row: OtherMovement, entryId: string, requeued: boolean): Promise<string | null> {
  const id = row.xenditTransactionId;
  const out = row.amount < 0;
  const type = out ? 'RECEIVE' : 'SPEND';
  const reference = movementReversalReference(id);
  const lookedUp = { sentAt: row.reversalAttemptAt, lookFirst: requeued };
  // Booked by a person under its Reference, or by an attempt whose answer was lost: taken, before anything is asked of the accounts.
  const earlier = await foundEarlier(
    deps.clock(),
    lookedUp,
    async () => (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).find((t) => t.type === type && live(t)),
    `entry ${reference}`,
  );
  if (earlier) return earlier.bankTransactionId;
  const entry = (await deps.xero.findBankTransactionsByReference(merchant.xero, movementReference(id))).find((t) => t.bankTransactionId === entryId);
  const code = entry && live(entry) ? entry.lineItems[0]?.accountCode : undefined;
  // What the entry carries as Xero holds it, when a person told of a fee inside the amount (alerts
  // movementFeeNotBooked) edited it to the amount less that fee (Xero updates a bank transaction in
  // place: POST /BankTransactions/{BankTransactionID}); else what it was sent with.
  const held = entry ? Math.abs(toMinor(entry.total, row.currency)) : null;
  const mended = held !== null && out && row.feeInAmount && row.fee > 0 && held === Math.abs(row.amount) - row.fee;
  const amount = mended ? held : (row.entryAmount ?? held);
  if (!entry || !code || amount === null) {
    // Only a person's Retry from review settles it: a listing's requeue counts as a retry too (send-once.ts requeued).
    if (row.state === 'needs_review') {
      await deps.stores.otherMovements.reversalSettled(row.id, deps.clock());
      deps.logger.info({ merchantId: merchant.id, xenditTransactionId: id }, 'reversed balance movement: its entry is no longer in Xero, settled by a Retry');
      return null;
    }
    throw new Unrecordable(
      `Xendit lists ${row.type} ${id} as REVERSED, and its entry (${entryId}, Reference "${movementReference(id)}") is no longer in Xero: nothing was booked back. ` +
        `If its money still has to come back on the clearing account, book ${out ? 'receive' : 'spend'} money of it by hand with Reference "${reference}"; then Retry`,
    );
  }
  // Spend and Receive Money are made on bank accounts only (xero_accounting.yaml BankTransaction.BankAccount).
  const account = row.reversalAttemptAt ? null : await deps.xero.getAccount(merchant.xero, entry.bankAccountId);
  if (!row.reversalAttemptAt && (account?.type !== 'BANK' || account.status === 'ARCHIVED'))
    throw new Unrecordable(
      `Xendit lists ${row.type} ${id} as REVERSED: ${account ? `the clearing account ${account.name} is not an active bank account` : `the clearing account ${entry.bankAccountId} is no longer in Xero`}, ` +
        `so its entry cannot be booked back there. Book ${out ? 'receive' : 'spend'} money of ${toDecimal(amount, row.currency)} ${row.currency} by hand with Reference "${reference}", then Retry`,
    );
  return bankTransactionOnce(
    deps,
    merchant,
    { currency: row.currency, amount },
    {
      type,
      bank: entry.bankAccountId,
      accountCode: code,
      description: `Xendit ${row.type} ${id} reversed: ${out ? 'back into' : 'out of'} the Xendit balance`,
      reference,
      key: `xendit-movement-reversal-${row.id}`,
      at: row.reversedAt ?? deps.clock(),
      // Looked up just now.
      sentAt: null,
      lookFirst: false,
      mark: (at) => deps.stores.otherMovements.noteReversalAttempt(row.id, at, deps.clock()),
      reconciled: true,
    },
  );
}

/** The fee Xendit gave back, into the account its Spend Money left, coded as it was, once; null: settled by a person's Retry (entryBackOnce). */
async function feeBackOnce(deps: MovementDeps, merchant: Merchant, row: OtherMovement, feeId: string, requeued: boolean): Promise<string | null> {
  const id = row.xenditTransactionId;
  const reference = movementFeeReturnReference(id);
  const earlier = await foundEarlier(
    deps.clock(),
    { sentAt: row.feeReturnAttemptAt, lookFirst: requeued },
    async () => (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).find((t) => t.type === 'RECEIVE' && live(t)),
    `entry ${reference}`,
  );
  if (earlier) return earlier.bankTransactionId;
  const spent = (await deps.xero.findBankTransactionsByReference(merchant.xero, movementFeeReference(id))).find(
    (t) => t.bankTransactionId === feeId && live(t),
  );
  const code = spent?.lineItems[0]?.accountCode;
  if (!spent || !code) {
    if (row.state === 'needs_review') {
      await deps.stores.otherMovements.reversalSettled(row.id, deps.clock());
      return null;
    }
    throw new Unrecordable(
      `Xendit gave back its fee on reversed ${row.type} ${id}, and the fee's spend money (${feeId}) is no longer in Xero: book it by hand ` +
        `(receive money into the clearing account, ${toDecimal(row.fee, row.currency)} ${row.currency}, Reference "${reference}"), then Retry`,
    );
  }
  return bankTransactionOnce(
    deps,
    merchant,
    { currency: row.currency, amount: row.fee },
    {
      type: 'RECEIVE',
      bank: spent.bankAccountId,
      accountCode: code,
      description: `Xendit fee on ${row.type} ${id}, given back with the reversed movement`,
      reference,
      key: `xendit-movement-fee-return-${row.id}`,
      // The day Xendit gave it back (later than the reversal when it kept the fee then).
      at: row.feeReturnedAt ?? row.reversedAt ?? deps.clock(),
      sentAt: null,
      lookFirst: false,
      mark: (at) => deps.stores.otherMovements.noteFeeReturnAttempt(row.id, at, deps.clock()),
      reconciled: true,
    },
  );
}

/**
 * The fee a person booked by hand under its Reference (a Spend Money out of the clearing account),
 * given back by Xendit: its id when it carries Xendit's fee, null when there is none. Any other
 * (several, another account or amount) is a person's to give back: review saying what to book, and
 * a Retry that finds their Receive Money back under its Reference books nothing more (null).
 */
async function handFee(deps: MovementDeps, merchant: Merchant, row: OtherMovement, clearing: string, requeued: boolean): Promise<string | null> {
  const id = row.xenditTransactionId;
  const reference = movementFeeReference(id);
  const spent = (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).filter((t) => t.type === 'SPEND' && live(t));
  const [one] = spent;
  if (!one) return null;
  if (spent.length === 1 && one.bankAccountId === clearing && Math.abs(toMinor(one.total, row.currency)) === row.fee) return one.bankTransactionId;
  const back = movementFeeReturnReference(id);
  if (requeued && (await deps.xero.findBankTransactionsByReference(merchant.xero, back)).some((t) => t.type === 'RECEIVE' && live(t))) return null;
  const why = spent.length > 1 ? `${spent.length} spend money entries carry` : `the spend money (${one.bankTransactionId}, ${one.total} ${row.currency}) under`;
  throw new Unrecordable(
    `Xendit gave back its fee on reversed ${row.type} ${id} (${toDecimal(row.fee, row.currency)} ${row.currency}), and ${why} the Reference "${reference}", not one of that fee out of the clearing account: ` +
      `book the fee given back by hand (receive money into the clearing account, coded as the fee booked by hand, Reference "${back}"), then Retry`,
  );
}
