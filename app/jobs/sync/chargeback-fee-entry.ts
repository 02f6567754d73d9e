/**
 * The entry of a chargeback's fee (chargeback-fee.ts), once, out of the clearing account the cash
 * refund left: a Spend Money when it is a bank account (fee-spend.ts, as a payout's fee); otherwise
 * a manual journal debiting the same lines and crediting the clearing account by the whole, as a
 * payment fee (post-fee.ts journalOnce) and a withdrawal fee (withdrawal-fee.ts feeJournalOnce) are
 * booked there: Xero takes Spend Money on BANK accounts only (xero_accounting.yaml BankTransaction
 * .BankAccount) and refuses manual-journal lines on them (help.xero.com Q_JournalBankAcc).
 * Either is found by the fee's Reference (the journal's Narration), whichever kind an earlier
 * attempt or a person made, so a run again after a crash, a lost answer or a Retry never makes a
 * second one, whatever the clearing account's type says by then.
 */
import type { Merchant } from '../../store/merchants.js';
import type { FeeEntryKind } from '../../store/refunds.js';
import { toDecimal } from '../../money.js';
import { type Attempt, type EntryDeps } from './entry-once.js';
import { payoutFeeLines, type PayoutFee } from './fee-spend.js';
import { FEE_CONTACT_NAME } from './post-fee.js';
import { organisationBaseCurrency, organisationDate } from './org-date.js';
import { Unrecordable } from './record-failure.js';
import { foundEarlier, sendOnce } from './send-once.js';

export interface FeeEntry {
  id: string;
  kind: FeeEntryKind;
}

/** The fee's entry under `attempt.reference`, as Xero holds it: a Spend Money, else a manual journal; null: neither. */
async function findEntry(deps: EntryDeps, merchant: Merchant, reference: string): Promise<FeeEntry | null> {
  const spent = (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).find((t) => t.type === 'SPEND');
  if (spent) return { id: spent.bankTransactionId, kind: 'spend' };
  const [journal] = await deps.xero.findManualJournalsByNarration(merchant.xero, reference);
  return journal ? { id: journal.manualJournalId, kind: 'journal' } : null;
}

/** How the fee leaves the clearing account `clearingId`, as Xero says its type is now. */
async function wayOut(deps: EntryDeps, merchant: Merchant, clearingId: string): Promise<{ kind: 'spend' } | { kind: 'journal'; code: string }> {
  const account = await deps.xero.getAccount(merchant.xero, clearingId);
  if (!account) throw new Unrecordable(`the clearing account ${clearingId} does not exist in Xero`);
  if (account.type === 'BANK') return { kind: 'spend' };
  // A journal line names its account by AccountCode (xero_accounting.yaml ManualJournalLine.AccountCode).
  if (!account.code) throw new Unrecordable(`the clearing account ${account.name} has no account code, which a manual journal line needs`);
  return { kind: 'journal', code: account.code };
}

/** The fee's entry in Xero once (see the file's comment); its id and kind. */
export async function chargebackFeeEntryOnce(deps: EntryDeps, merchant: Merchant, f: PayoutFee, clearingId: string, attempt: Attempt): Promise<FeeEntry> {
  const find = () => findEntry(deps, merchant, attempt.reference);
  const found = await foundEarlier(deps.clock(), attempt, find, `entry ${attempt.reference}`);
  if (found) return found;
  const way = await wayOut(deps, merchant, clearingId);
  const total = f.fee + (f.withheld?.amount ?? 0);
  const lines = payoutFeeLines(merchant, f);
  if (way.kind === 'journal') {
    // Xero's ManualJournal has no CurrencyCode (xero_accounting.yaml ManualJournal): its lines are in
    // the organisation's base currency, so another currency's fee is a person's to book; a Retry finds theirs.
    const base = await organisationBaseCurrency(deps, merchant);
    if (base !== f.currency) {
      const byHand = attempt.sentAt || attempt.lookFirst ? null : await find();
      if (byHand) return byHand;
      throw new Unrecordable(
        `Xendit's fee on ${f.what} (${toDecimal(total, f.currency)} ${f.currency}) goes out of a clearing account that is no bank account, where only a manual journal can take it, and a manual journal is in ${base} only: ` +
          `book it by hand (debit the fee account, credit ${way.code}, narration "${attempt.reference}"), then Retry`,
      );
    }
  }
  const date = await organisationDate(deps, merchant, attempt.at, f.currency);
  if (way.kind === 'spend') {
    const made = await sendOnce(attempt.mark, deps.clock(), () =>
      deps.xero.createBankTransaction(
        merchant.xero,
        {
          type: 'SPEND',
          bankAccountId: clearingId,
          contactName: FEE_CONTACT_NAME,
          date,
          reference: attempt.reference,
          currencyCode: f.currency,
          lineItems: lines,
          // No feed carries the clearing account.
          reconciled: true,
        },
        attempt.key,
      ),
    );
    return { id: made.bankTransactionId, kind: 'spend' };
  }
  const journal = [
    ...lines,
    { description: `Xendit fee, VAT and tax withheld on ${f.what}`, accountCode: way.code, amount: `-${toDecimal(total, f.currency)}` },
  ];
  const made = await sendOnce(attempt.mark, deps.clock(), () =>
    deps.xero.createManualJournal(merchant.xero, { narration: attempt.reference, date, lines: journal }, `${attempt.key}-journal`),
  );
  return { id: made.manualJournalId, kind: 'journal' };
}
