/**
 * A withdrawal the bank sent back whose fee Xendit gave back too: the fee booked out of the clearing
 * account (withdrawal-fee.ts) comes back into it, once, after the transfer back and marked apart
 * (`fee_return_attempt_at`), dated the day it came back (with the payout, or later when Xendit kept it
 * then: fee_returned_at), as the fee was booked:
 * - its Spend Money (a bank clearing account): a Receive Money `Xendit withdrawal fee returned <id>`
 *   into the account that Spend Money left, coded to its account, reconciled as it was;
 * - on the Receive Money's lines or a manual journal (any other clearing account, where no Receive
 *   Money can come): a manual journal, Narration `Xendit withdrawal fee returned <id>`, debiting the
 *   clearing account and crediting each fee line as it was booked (the fee and its VAT).
 * The fee's entry gone from Xero, or a journal in a currency Xero cannot hold: a person's to book,
 * and a Retry finds theirs by that Reference or Narration. A fee booked alone (the withdrawal sent
 * back before any entry out, the fee kept, given back later) comes back the same way; one whose
 * create got no answer is found first (feeSentEarlier).
 */
import type { Merchant } from '../../store/merchants.js';
import type { Withdrawal } from '../../store/settlements.js';
import { toDecimal, toMinor } from '../../money.js';
import { bankTransactionOnce, entryOnce, type EntryDeps } from './entry-once.js';
import { organisationBaseCurrency } from './org-date.js';
import { Unrecordable } from './record-failure.js';
import { foundEarlier } from './send-once.js';
import { withdrawalFeeReference, withdrawalFeeReturnReference, withdrawalReference, type Mark } from './withdrawal-fee.js';

type ReturnDeps = EntryDeps & { stores: { settlements: { noteFeeReturnAttempt: Mark } } };

export type FeeReturnKind = 'receive money' | 'manual journal';

/**
 * What the entry of the fee given back is, as the fee was booked: a Receive Money for its Spend Money
 * (a bank clearing account), a manual journal for its journal or its lines on the Receive Money out.
 * With an entry out, the kind that entry was says; the fee booked alone (sent back before any entry
 * out: keptFeeWay) has none, so Xero says: its Spend Money under its Reference, else its journal.
 */
export async function feeReturnKind(deps: EntryDeps, merchant: Merchant, row: Withdrawal): Promise<FeeReturnKind> {
  if (row.xeroBankTransferId) return row.entryKind === 'receive' ? 'manual journal' : 'receive money';
  const spent = await deps.xero.findBankTransactionsByReference(merchant.xero, withdrawalFeeReference(row.xenditTransactionId));
  return spent.some((t) => t.bankTransactionId === row.xeroFeeEntryId) ? 'receive money' : 'manual journal';
}

/** The fee given back, booked once as `kind` (feeReturnKind); its id. */
export function feeReturnOnce(deps: ReturnDeps, merchant: Merchant, row: Withdrawal, kind: FeeReturnKind, lookFirst: boolean): Promise<string> {
  return kind === 'manual journal' ? journalBackOnce(deps, merchant, row, lookFirst) : receiveBackOnce(deps, merchant, row, lookFirst);
}

const live = (status: string) => status !== 'DELETED' && status !== 'VOIDED';

/**
 * The fee an attempt sent without an answer (feeSentUnknown), given back before the retry, which
 * has no fee to book then: its Spend Money or manual journal as Xero holds it (by its Reference or
 * Narration), to be stored and given back; null once UNSETTLED_MS has passed without it (never
 * made: given back, nothing is left to book). Throws RetryLater before (foundEarlier).
 */
export async function feeSentEarlier(deps: EntryDeps, merchant: Merchant, row: Withdrawal): Promise<string | null> {
  const reference = withdrawalFeeReference(row.xenditTransactionId);
  const find = async () => {
    const spent = (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).find((t) => t.type === 'SPEND' && live(t.status));
    if (spent) return spent.bankTransactionId;
    return (await deps.xero.findManualJournalsByNarration(merchant.xero, reference)).find((j) => live(j.status))?.manualJournalId;
  };
  return (await foundEarlier(deps.clock(), { sentAt: row.feeAttemptAt }, find, `entry ${reference}`)) ?? null;
}

/** Receive Money into the account the fee's Spend Money left, coded to the account that one was, as Xero holds them (whatever the settings say today). */
async function receiveBackOnce(deps: ReturnDeps, merchant: Merchant, row: Withdrawal, lookFirst: boolean): Promise<string> {
  const id = row.xenditTransactionId;
  const reference = withdrawalFeeReturnReference(id);
  const spent = (await deps.xero.findBankTransactionsByReference(merchant.xero, withdrawalFeeReference(id))).find(
    (t) => t.bankTransactionId === row.xeroFeeEntryId && live(t.status),
  );
  const code = spent?.lineItems[0]?.accountCode;
  if (!spent || !code) {
    // Booked by hand after the row went to review: the Retry takes it.
    const byHand = (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).find((t) => t.type === 'RECEIVE');
    if (byHand) return byHand.bankTransactionId;
    throw new Unrecordable(
      `the fee's spend money (${row.xeroFeeEntryId}) is no longer in Xero: book the fee Xendit gave back by hand ` +
        `(receive money into the clearing account, ${toDecimal(row.fee, row.currency)} ${row.currency}, reference "${reference}"), then Retry`,
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
      description: `Xendit fee on withdrawal ${id}, given back with the reversed payout`,
      reference,
      key: `xendit-withdrawal-fee-return-${row.id}`,
      at: row.feeReturnedAt ?? row.reversedAt ?? deps.clock(),
      sentAt: row.feeReturnAttemptAt,
      lookFirst,
      mark: (at) => deps.stores.settlements.noteFeeReturnAttempt(row.id, at, deps.clock()),
      // No feed carries the clearing account.
      reconciled: true,
    },
  );
}

/** The fee as it was booked: the clearing account's code and the fee's lines (minor units, a debit of the fee account positive). */
type Booked = { clearingCode: string; lines: { accountCode: string; description: string; amount: number }[] };

/**
 * The fee's lines as Xero holds them: on the Receive Money (the lines not coded to the clearing
 * account, its first: withdrawal-fee.ts receiveLinesWithFee; negative there, as they debit), or the
 * manual journal's (debits the fee account, credits the clearing account). Undefined: not in Xero.
 */
async function bookedFee(deps: ReturnDeps, merchant: Merchant, row: Withdrawal): Promise<Booked | undefined> {
  const id = row.xenditTransactionId;
  if (row.xeroFeeEntryId === row.xeroBankTransferId) {
    const t = (await deps.xero.findBankTransactionsByReference(merchant.xero, withdrawalReference(id))).find(
      (x) => x.bankTransactionId === row.xeroFeeEntryId && live(x.status),
    );
    const clearingCode = t?.lineItems[0]?.accountCode;
    if (!t || !clearingCode) return undefined;
    const lines = t.lineItems.filter((l) => l.accountCode !== clearingCode);
    return {
      clearingCode,
      lines: lines.map((l) => ({ accountCode: l.accountCode, description: l.description, amount: -toMinor(l.lineAmount, row.currency) })),
    };
  }
  const j = (await deps.xero.findManualJournalsByNarration(merchant.xero, withdrawalFeeReference(id))).find(
    (x) => x.manualJournalId === row.xeroFeeEntryId && live(x.status),
  );
  const clearingCode = j?.lines.find((l) => toMinor(l.amount, row.currency) < 0)?.accountCode;
  if (!j || !clearingCode) return undefined;
  const lines = j.lines.filter((l) => l.accountCode !== clearingCode);
  return { clearingCode, lines: lines.map((l) => ({ accountCode: l.accountCode, description: l.description, amount: toMinor(l.amount, row.currency) })) };
}

/**
 * A manual journal that undoes the fee as booked: debit the clearing account by the fee, credit each
 * fee line back. Xero's ManualJournal has no CurrencyCode (xero_accounting.yaml ManualJournal): in
 * another currency than the organisation's it is a person's to book, as feeJournalOnce's fee is.
 */
async function journalBackOnce(deps: ReturnDeps, merchant: Merchant, row: Withdrawal, lookFirst: boolean): Promise<string> {
  const id = row.xenditTransactionId;
  const narration = withdrawalFeeReturnReference(id);
  const find = async () => (await deps.xero.findManualJournalsByNarration(merchant.xero, narration))[0]?.manualJournalId;
  const booked = await bookedFee(deps, merchant, row);
  const base = booked ? await organisationBaseCurrency(deps, merchant) : undefined;
  if (!booked || base !== row.currency) {
    const byHand = await find();
    if (byHand) return byHand;
    const total = `${toDecimal(row.fee, row.currency)} ${row.currency}`;
    const why = booked
      ? `a manual journal is in ${base} only`
      : `the fee's ${row.xeroFeeEntryId === row.xeroBankTransferId ? 'receive money' : 'manual journal'} (${row.xeroFeeEntryId}) is no longer in Xero`;
    const credit = booked ? [...new Set(booked.lines.map((l) => l.accountCode))].join(', ') : 'the fee account';
    throw new Unrecordable(
      `Xendit gave back its fee on reversed withdrawal ${id} (${total}) and ${why}: book it by hand as a manual journal ` +
        `(debit ${booked?.clearingCode ?? 'the clearing account'} ${total}, credit ${credit}, narration "${narration}"), then Retry`,
    );
  }
  const total = booked.lines.reduce((s, l) => s + l.amount, 0);
  const lines = [
    {
      description: `Xendit fee on withdrawal ${id}, given back with the reversed payout`,
      accountCode: booked.clearingCode,
      amount: toDecimal(total, row.currency),
    },
    ...booked.lines.map((l) => ({ description: `${l.description}, given back`, accountCode: l.accountCode, amount: toDecimal(-l.amount, row.currency) })),
  ];
  const key = `xendit-withdrawal-fee-return-journal-${row.id}`;
  return entryOnce(deps, merchant, row.currency, {
    reference: narration,
    key,
    at: row.feeReturnedAt ?? row.reversedAt ?? deps.clock(),
    sentAt: row.feeReturnAttemptAt,
    lookFirst,
    mark: (at) => deps.stores.settlements.noteFeeReturnAttempt(row.id, at, deps.clock()),
    find,
    create: async (date) => (await deps.xero.createManualJournal(merchant.xero, { narration, date, lines }, key)).manualJournalId,
  });
}
