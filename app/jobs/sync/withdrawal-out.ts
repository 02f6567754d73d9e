/**
 * A withdrawal's entry out of the clearing account as Xero holds it (record-withdrawal.ts): a Bank
 * Transfer, or a Receive Money into the settlement bank coded to a clearing account that is no bank
 * account. What follows one sent (the money sent back, a fee learnt later) goes between the
 * accounts it went between, whatever the settings say now.
 */
import type { Withdrawal } from '../../store/settlements.js';
import type { Merchant } from '../../store/merchants.js';
import type { XeroGateway } from '../../clients/xero/types.js';
import type { Stores } from '../../store/index.js';
import type { Clock } from '../../clock.js';
import { toDecimal, toMinor } from '../../money.js';
import { Unrecordable } from './record-failure.js';
import { notWhileUnsettled } from './send-once.js';
import { bankAmount, receivedWith, reversalReference, withdrawalFeeReference, withdrawalFeeReturnReference, withdrawalReference } from './withdrawal-fee.js';
import type { Out } from './withdrawal-clearing.js';

type Deps = { stores: Stores; xero: XeroGateway; clock: Clock };

/** The accounts of the transfer out recorded earlier, as Xero holds it. */
export async function transferOut(deps: Pick<Deps, 'xero'>, merchant: Merchant, row: Withdrawal): Promise<Out> {
  const found = await deps.xero.findBankTransfersByReference(merchant.xero, withdrawalReference(row.xenditTransactionId));
  const t = found.find((x) => x.bankTransferId === row.xeroBankTransferId);
  if (!t) throw new Unrecordable(`the bank transfer out (${row.xeroBankTransferId}) is no longer in Xero: book the money coming back by hand`);
  return { kind: 'transfer', clearing: t.fromAccountId, bank: t.toAccountId };
}

/** The entry out as Xero holds it (`out`), and what to store before anything follows it (`adopt`: the transfer out, with a fee a person booked by hand). */
export type Held = { out: Out; adopt?: { transferId: string; amount: number; fee?: { entryId: string; amount: number } } };

/**
 * The transfer out as Xero holds it when the money comes back, so the transfer back moves what it
 * moved: a person told that Xendit took its fee out of a withdrawal booked whole (alerts
 * withdrawalFeeNotBooked) mends that transfer, and since Xero never changes a Bank Transfer (its
 * API creates one, PUT /BankTransfers, and deletes one, POST with Status DELETED: xero-node
 * AccountingApi createBankTransfer, deleteBankTransfer; there is no update) the mended one is
 * another transfer under the same Reference. Taken when it is the only transfer under that
 * Reference and moves an amount the gateway can account for: what left Xendit's balance, or what
 * reached the bank (less a fee inside the amount); `adopt` then says what to store before the
 * transfer back is sent. Anything else (none, several, another amount) is a person's to judge:
 * Unrecordable, unless (`lookFirst`, their Retry) the transfer back they booked by hand is there.
 * Xendit gave back a fee the row never learnt (the listing does not note one inside an amount booked
 * whole: list-withdrawals.ts feeLearnt), the fee the person booked by hand is read too (handFee):
 * it is the fee that comes back into the clearing account.
 */
export async function transferOutHeld(deps: Pick<Deps, 'xero'>, merchant: Merchant, row: Withdrawal, lookFirst: boolean): Promise<Held> {
  const found = await deps.xero.findBankTransfersByReference(merchant.xero, withdrawalReference(row.xenditTransactionId));
  const t = found.length === 1 ? found[0] : undefined;
  const hand = t ? await handFee(deps, merchant, row, t.fromAccountId) : {};
  const held = t && {
    id: t.bankTransferId,
    amount: toMinor(t.amount, row.currency),
    out: { kind: 'transfer', clearing: t.fromAccountId, bank: t.toAccountId } as Out,
  };
  return judged(row, found.length, held, 'bank transfer', hand, async () => {
    const [byHand] = lookFirst ? await deps.xero.findBankTransfersByReference(merchant.xero, reversalReference(row.xenditTransactionId)) : [];
    return byHand && { kind: 'transfer', clearing: byHand.toAccountId, bank: byHand.fromAccountId };
  });
}

/** A fee a person booked by hand, to be given back (`fee`), or why the gateway cannot tell which (`doubt`). */
type HandFee = { fee?: { entryId: string; amount: number }; doubt?: string };

/**
 * Xendit gave back a fee the row never learnt (fee 0, no entry nor attempt of its own): the Spend
 * Money a person booked under the fee's Reference (`Xendit withdrawal fee <id>`, as the
 * withdrawalFeeNotBooked alert asks) out of the clearing account the transfer out leaves. None: no fee
 * to give back. Several, or one out of another account: a person's to judge.
 */
async function handFee(deps: Pick<Deps, 'xero'>, merchant: Merchant, row: Withdrawal, clearing: string): Promise<HandFee> {
  if (!row.reversedAt || !row.feeReturned || row.fee > 0 || row.xeroFeeEntryId || row.feeAttemptAt) return {};
  const reference = withdrawalFeeReference(row.xenditTransactionId);
  const spent = (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).filter((x) => x.type === 'SPEND');
  const [one] = spent;
  if (!one) return {};
  if (spent.length > 1) return { doubt: `${spent.length} spend money entries carry the Reference "${reference}"` };
  if (one.bankAccountId !== clearing)
    return { doubt: `the spend money "${reference}" (${one.bankTransactionId}) leaves another account than the transfer out` };
  return { fee: { entryId: one.bankTransactionId, amount: Math.abs(toMinor(one.total, row.currency)) } };
}

/**
 * The entry out `held` stored before what follows it (`adopt`, Held): the row as the rest of the run
 * goes by. A fee a person booked by hand is stored with it, as one inside the amount (what the alert
 * that asked for it says), so it is given back as the gateway's own would be (feeReturnToBook).
 */
export async function adoptHeld(deps: Deps, row: Withdrawal, held: Held): Promise<Withdrawal> {
  const a = held.adopt;
  if (!a) return row;
  await deps.stores.settlements.outAsHeld(row.id, a.transferId, a.amount, deps.clock(), a.fee);
  const fee = a.fee ? { fee: a.fee.amount, feeInAmount: true, xeroFeeEntryId: a.fee.entryId } : {};
  return { ...row, xeroBankTransferId: a.transferId, transferAmount: a.amount, ...fee };
}

/**
 * The Receive Money out as Xero holds it when the money comes back, as transferOutHeld: Xero does
 * update one in place (POST /BankTransactions/{BankTransactionID}, xero-node AccountingApi
 * updateBankTransaction), so a mended one may keep its id. One carrying fee lines the gateway did not
 * book there is a person's to judge: the fee on them is not the one the gateway would book.
 */
export async function receivedOutHeld(deps: Pick<Deps, 'xero'>, merchant: Merchant, row: Withdrawal, lookFirst: boolean): Promise<Held> {
  const found = (await deps.xero.findBankTransactionsByReference(merchant.xero, withdrawalReference(row.xenditTransactionId))).filter(
    (x) => x.type === 'RECEIVE',
  );
  const t = found.length === 1 ? found[0] : undefined;
  const code = t?.lineItems[0]?.accountCode;
  const got = t && code ? receivedWith(t, row, code) : undefined;
  const held =
    t && code && got && (!got.withFee || t.bankTransactionId === row.xeroFeeEntryId)
      ? { id: t.bankTransactionId, amount: got.amount, out: { kind: 'receive', code, bank: t.bankAccountId } as Out }
      : undefined;
  return judged(row, found.length, held, 'receive money', {}, async () => {
    const back = lookFirst ? await deps.xero.findBankTransactionsByReference(merchant.xero, reversalReference(row.xenditTransactionId)) : [];
    const byHand = back.find((x) => x.type === 'SPEND');
    const backCode = byHand?.lineItems[0]?.accountCode;
    return byHand && backCode ? { kind: 'receive', code: backCode, bank: byHand.bankAccountId } : undefined;
  });
}

/**
 * The entry out `held` (the only one under its Reference, of `count`) taken when it carries an amount
 * the gateway can account for: what left Xendit's balance, or what reached the bank (less a fee
 * inside the amount, the row's or the one a person booked by hand: `hand`); `adopt` when it is not the
 * one stored, or a fee by hand is to be stored with it. Else the money coming back booked by hand
 * (`byHand`, on a Retry) is followed, or a person is asked to book it (Unrecordable), with the amounts.
 */
async function judged(
  row: Withdrawal,
  count: number,
  held: { id: string; amount: number; out: Out } | undefined,
  what: string,
  hand: HandFee,
  byHand: () => Promise<Out | undefined>,
): Promise<Held> {
  const r = hand.fee ? { ...row, fee: hand.fee.amount, feeInAmount: true } : row;
  const accountable = [bankAmount(r), r.amount, ...(r.feeInAmount && r.fee > 0 ? [r.amount - r.fee] : [])];
  if (held && !hand.doubt && accountable.includes(held.amount)) {
    const same = held.id === row.xeroBankTransferId && held.amount === row.transferAmount && !hand.fee;
    return { out: held.out, ...(same ? {} : { adopt: { transferId: held.id, amount: held.amount, ...(hand.fee ? { fee: hand.fee } : {}) } }) };
  }
  const found = await byHand();
  if (found) return { out: found };
  const id = row.xenditTransactionId;
  const reference = withdrawalReference(id);
  const why = hand.doubt
    ? `Xendit gave back its fee on the withdrawal, and ${hand.doubt}`
    : held
      ? `the ${what} out (${held.id}) moves ${toDecimal(held.amount, row.currency)} in Xero, neither the ${toDecimal(row.amount, row.currency)} that left Xendit's balance nor what reached the bank` +
        (hand.fee ? ` with the fee of ${toDecimal(hand.fee.amount, row.currency)} booked by hand (${hand.fee.entryId})` : '')
      : count > 1
        ? `${count} entries of the ${what} out carry the Reference "${reference}"`
        : count
          ? `the ${what} out under the Reference "${reference}" carries lines the gateway did not book (a fee of its own, or none coded to the clearing account)`
          : `the ${what} out (${row.xeroBankTransferId}) is no longer in Xero`;
  const back =
    (what === 'bank transfer' ? 'a bank transfer from the bank into the clearing account' : 'spend money out of the bank coded to the clearing account') +
    (held ? ` of what the ${what} out moves, ${toDecimal(held.amount, row.currency)} ${row.currency}` : '');
  // Given back, the fee booked by hand comes back too: Xendit's balance got the whole amount back.
  const fee =
    hand.fee || hand.doubt
      ? `; and the fee Xendit gave back as receive money into the clearing account, coded as the fee booked by hand was, Reference "${withdrawalFeeReturnReference(id)}"`
      : '';
  // With no entry out left, the money coming back may be nothing to book (deleted on purpose).
  const unless = held || count ? '' : ' unless the entry out was deleted on purpose (then nothing comes back into the clearing account in Xero: book nothing)';
  throw new Unrecordable(`${why}: book the money coming back by hand (${back}, Reference "${reversalReference(id)}")${fee}, then Retry${unless}`);
}

/** The bank account and clearing account code of the Receive Money recorded earlier, as Xero holds it. */
export async function receivedOut(deps: Pick<Deps, 'xero'>, merchant: Merchant, row: Withdrawal): Promise<Out> {
  const found = await deps.xero.findBankTransactionsByReference(merchant.xero, withdrawalReference(row.xenditTransactionId));
  const t = found.find((x) => x.bankTransactionId === row.xeroBankTransferId);
  const code = t?.lineItems[0]?.accountCode;
  if (!t || !code) throw new Unrecordable(`the receive money (${row.xeroBankTransferId}) is no longer in Xero: book the money coming back by hand`);
  return { kind: 'receive', code, bank: t.bankAccountId };
}

/**
 * Its entry out sent without an answer, and no settlement bank account picked for it any more (removed
 * from the settings since): that entry may be in Xero all the same, and what follows it is the gateway's
 * to book, as an other movement's is (record-other-movement.ts). Xero's answer decides, by its
 * Reference, as the retry of the send would (entry-once.ts): found, it is stored as the entry out, what
 * it carried as Xero holds it; not made and no longer in the making (send-once.ts notWhileUnsettled:
 * throws meanwhile), the attempt is forgotten, and the row waits for an account as one never sent does
 * (sent back meanwhile: nothing to book). The row as stored now.
 */
export async function settleOutSent(deps: Deps, merchant: Merchant, row: Withdrawal): Promise<Withdrawal> {
  const reference = withdrawalReference(row.xenditTransactionId);
  const now = deps.clock();
  const kind = row.entryKind ?? 'transfer';
  if (kind === 'transfer') {
    const [t] = await deps.xero.findBankTransfersByReference(merchant.xero, reference);
    if (t) await deps.stores.settlements.recorded(row.id, t.bankTransferId, now, { amount: toMinor(t.amount, row.currency) });
    if (t) return (await deps.stores.settlements.byXenditId(row.merchantId, row.xenditTransactionId))!;
  } else {
    const t = (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).find((x) => x.type === 'RECEIVE');
    // Its first line is coded to the clearing account (withdrawal-fee.ts receiveLinesWithFee): a line coded elsewhere is the fee's.
    const got = t && receivedWith(t, row, t.lineItems[0]?.accountCode ?? '');
    if (t && got)
      await deps.stores.settlements.recorded(row.id, t.bankTransactionId, now, {
        amount: got.amount,
        ...(got.withFee ? { feeEntryId: t.bankTransactionId } : {}),
      });
    if (t) return (await deps.stores.settlements.byXenditId(row.merchantId, row.xenditTransactionId))!;
  }
  notWhileUnsettled(now, row.transferAttemptAt, `entry ${reference}`);
  await deps.stores.settlements.noteAttempt(row.id, kind, null, now);
  return (await deps.stores.settlements.byXenditId(row.merchantId, row.xenditTransactionId))!;
}
