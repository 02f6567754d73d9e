/**
 * Reconciliation: what Xendit says it collected for a merchant over a date range, against what the
 * clearing accounts in Xero hold, row by row. Amounts are compared in hundredths (Xero's two
 * decimals), never as floats. Xendit is read in each account whose money the gateway books for the
 * merchant (xendit-accounts.ts), each row naming the mode of the account its Xendit side is in.
 */
import type { XenditInvoice } from '../clients/xendit/types.js';
import type { XeroAccountPayment, XeroBankTransaction } from '../clients/xero/types.js';
import type { Merchant } from '../store/merchants.js';
import { SUPPORTED_CURRENCIES, toDecimal, type Currency } from '../money.js';
import { dateIn, zoneFor } from '../jobs/sync/org-date.js';
import { overpaymentLineOf } from '../jobs/sync/overpayment.js';
import {
  format,
  clearingEntry,
  hundredths,
  incompleteRow,
  type ClearingEntry,
  lockedOutRow,
  movedByLock,
  otherRow,
  type ReportDeps,
  type ReportRow,
  type RowStatus,
} from './rows.js';
import { bookedTwice, compare, feeTaxFor } from './payment-row.js';
import { isWithdrawalFee, isWithdrawalFeeJournal, transferRows } from './transfers.js';
import { missingRefundRows, refundRow } from './refunds.js';
import { otherMovementRows } from './movements.js';
import { FEE_RETURN_REF, feeReturnRow, unbookedFeeReturnRows, type BookedFeeReturn } from './fee-returns.js';
import { chargebackFeeRows, chargebackFeesBooked, isChargebackFee, isChargebackFeeJournal } from './chargeback-fees.js';
import { baseCurrency, clearingAccounts } from './accounts.js';
import { inAccount, refusedByRow, reportKeys, xenditAccounts } from './xendit-accounts.js';
import { transactionReader } from './payment-transactions.js';
import { paidElsewhere, paidInRange } from './paid.js';
import type { ClearingEntries, Report, Totals } from './report-shape.js';

export { ROW_STATUSES, format, hundredths, type ReportDeps, type ReportRow, type RowStatus } from './rows.js';
export type { ClearingEntries, Report, Totals } from './report-shape.js';

/** A fee posted as a manual journal, seen from the clearing account (its credit line there). */
interface JournalFee {
  date?: string;
  total: string; // decimal, positive
  currencyCode: string;
}

const PAYMENT_REF = /^Xendit (\S+)$/;
const FEE_REF = /^Xendit fee (\S+)$/;
const OVERPAYMENT_REF = /^Xendit overpayment (\S+)$/;
/**
 * The Xendit invoice a RECEIVE-OVERPAYMENT was made for: named by its line (overpayment.ts), as
 * Xero documents BankTransaction.Reference as "Only supported for SPEND and RECEIVE transactions"
 * (xero_accounting.yaml); by the Reference should Xero keep it and a person have changed the line.
 */
const overpaymentFor = (t: XeroBankTransaction): string | undefined =>
  t.lineItems.map((li) => overpaymentLineOf(li.description)).find(Boolean) ?? OVERPAYMENT_REF.exec(t.reference)?.[1];
const REFUND_REF = /^Xendit (refund|chargeback) (\S+)$/;
/** Rows that leave a report reconciled (xendit_only: shown as a reason the balances may differ, not held against it). */
const RECONCILED_ROWS = new Set<RowStatus>(['matched', 'refunded', 'transferred', 'fee_returned', 'xendit_only']);
/** GET /BankTransactions lists each bank transfer's two sides among the others (xero_accounting.yaml BankTransaction.Type). */
const TRANSFER_SIDES = new Set(['SPEND-TRANSFER', 'RECEIVE-TRANSFER']);
/** How the gateway pays a refund out: the cash refund of its credit note, the refund of an overpayment. */
const REFUND_PAID_AS = new Set(['ARCREDITPAYMENT', 'AROVERPAYMENTPAYMENT']);
/**
 * Payments that take money out of the bank account: bills, and refunds of a customer's credit
 * note, overpayment or prepayment (these have no Invoice). xero_accounting.yaml schema Payment,
 * PaymentType.
 */
const MONEY_OUT = new Set(['ACCPAYPAYMENT', 'ARCREDITPAYMENT', 'AROVERPAYMENTPAYMENT', 'ARPREPAYMENTPAYMENT']);

export async function reconciliationReport(deps: ReportDeps, merchant: Merchant, range: { from: string; to: string }): Promise<Report> {
  const inRange = (date: string | undefined) => date !== undefined && date >= range.from && date <= range.to;
  // Dates are the organisation's local dates, as on the Xero entries.
  const timezone = merchant.xeroTimezone ?? (await deps.xero.getOrganisation(merchant.xero)).timezone;
  const xenditDate = (inv: XenditInvoice) => (inv.paidAt ? dateIn(new Date(inv.paidAt), zoneFor(timezone, inv.currency)) : undefined);
  // Fees billed monthly are never taken from a payment (post-fee posts none; Xendit settles it
  // gross), judged by the setting when it was paid: a merchant who switched keeps both kinds of row.
  const billingAt = deps.stores?.feeBills ? await deps.stores.feeBills.billingAt(merchant) : () => merchant.xenditFeeBilling;
  const feeBilledMonthly = (inv: XenditInvoice) => billingAt(inv.paidAt ? new Date(inv.paidAt) : new Date()) === 'invoiced';
  const xenditSide = xenditAccounts(reportKeys(merchant));
  const xendit = await paidInRange(deps, xenditSide, range, xenditDate);

  // Today's clearing accounts and those the gateway posted to for the range (accounts.ts): each
  // entry is looked for on the account it went to, whatever the settings say today.
  const clearing = await clearingAccounts(deps, merchant, range, () => baseCurrency(deps, merchant));
  const { ids: accounts, currencyOf, nonBank, nonBankByCode } = clearing;
  // Manual journals name a non-bank clearing account by its code.
  const journalCodes = new Map([...nonBankByCode].map(([code, a]) => [code, a.currency]));
  const payments: XeroAccountPayment[] = [];
  const txns: XeroBankTransaction[] = [];
  // Fees given back as Xero holds them at any date: one booked outside the range is not missing.
  const feeReturnedAnywhere = new Set<string>();
  // Fees the gateway posted at any date, by invoice: what a void showing no figures gave back (fee-returns.ts).
  const feePostedAnywhere = new Map<string, bigint>();
  const feePosted = (id: string, amount: bigint) => feePostedAnywhere.set(id, (feePostedAnywhere.get(id) ?? 0n) + amount);
  // Entries the gateway dated after the range (the range's days were locked in Xero when they were
  // booked: org-date.ts bookableDate), by the Xendit id their Reference names: counted there.
  const bookedLater = new Map<string, string>();
  // The gateway's payments in Xero dated outside the range, by Xendit invoice: one there and one in
  // the range is the same money booked twice, whichever month's report is read.
  const paidOutsideRange = new Map<string, string[]>();
  // Every payment out for a refund, at any date: its parts (on the overpayment, on the credit note)
  // may be dated apart when a lock date was set between the two.
  const refundPartsAnyDate = new Map<string, XeroAccountPayment[]>();
  const clearingEntries: ClearingEntries = new Map();
  const chargebackFees = chargebackFeesBooked(); // at any date, as the fees posted
  // One read for every clearing account: past Xero's high volume threshold it is the organisation's every payment.
  const paymentsOf = await deps.xero.listPaymentsToAccounts(merchant.xero, accounts);
  for (const accountId of accounts) {
    const all = paymentsOf.get(accountId) ?? [];
    for (const p of all) {
      if (!p.date || p.date <= range.to) continue;
      const named = REFUND_PAID_AS.has(p.paymentType)
        ? REFUND_REF.exec(p.reference)?.[2]
        : p.invoiceId && !MONEY_OUT.has(p.paymentType)
          ? PAYMENT_REF.exec(p.reference)?.[1]
          : undefined;
      if (named && !bookedLater.has(named)) bookedLater.set(named, p.date);
    }
    for (const p of all) {
      const id = p.invoiceId && !MONEY_OUT.has(p.paymentType) && !inRange(p.date) ? PAYMENT_REF.exec(p.reference)?.[1] : undefined;
      if (id) paidOutsideRange.set(id, [...(paidOutsideRange.get(id) ?? []), p.date ?? '']);
      const refund = REFUND_PAID_AS.has(p.paymentType) ? REFUND_REF.exec(p.reference) : null;
      if (refund) refundPartsAnyDate.set(`${refund[1]} ${refund[2]}`, [...(refundPartsAnyDate.get(`${refund[1]} ${refund[2]}`) ?? []), p]);
    }
    payments.push(...all.filter((p) => inRange(p.date)));
    if (nonBank.includes(accountId)) continue; // bank transactions live on bank accounts only
    const transactions = await deps.xero.listBankTransactionsOfAccount(merchant.xero, accountId);
    clearingEntries.set(accountId, { currency: currencyOf.get(accountId) ?? '', payments: all, transactions });
    for (const t of transactions) {
      const returned = t.type === 'RECEIVE' ? FEE_RETURN_REF.exec(t.reference) : null;
      if (returned) feeReturnedAnywhere.add(returned[1]);
      const posted = t.type === 'SPEND' ? FEE_REF.exec(t.reference) : null;
      if (posted) feePosted(posted[1], hundredths(t.total));
      chargebackFees.seen(t, inRange(t.date));
      if (inRange(t.date)) txns.push(t);
    }
  }

  const byId = new Map<string, { payments: XeroAccountPayment[]; fees: (XeroBankTransaction | JournalFee)[]; overpayments: XeroBankTransaction[] }>();
  const entry = (id: string) => byId.get(id) ?? byId.set(id, { payments: [], fees: [], overpayments: [] }).get(id)!;
  const rows: ReportRow[] = [];
  const bookedRefunds = new Set<string>();
  const refundParts = new Map<string, XeroAccountPayment[]>();
  const feeReturns: BookedFeeReturn[] = [];
  const chargebacksHere: { disputeId: string; currency: string; date: string; booked: bigint }[] = [];
  // Listed together for the invoices paid in the range (payment-transactions.ts), before paidElsewhere adds older ones.
  const transactionOf = transactionReader(deps, xenditSide, [...xendit.values()]);
  const sums = new Map<string, { xendit: bigint; xero: bigint; other: bigint }>();
  const sum = (currency: string) => sums.get(currency) ?? sums.set(currency, { xendit: 0n, xero: 0n, other: 0n }).get(currency)!;
  // Entries on the clearing accounts that are none of the gateway's: counted once the merchant's
  // bookings of Xendit movements are told apart from them (below).
  const others: ClearingEntry[] = [];
  for (const p of payments) {
    // Only an invoice's payment can be the gateway's; a refund without an invoice is a row of its own.
    const m = p.invoiceId && !MONEY_OUT.has(p.paymentType) ? PAYMENT_REF.exec(p.reference) : null;
    const refund = REFUND_PAID_AS.has(p.paymentType) ? REFUND_REF.exec(p.reference) : null;
    if (m) entry(m[1]).payments.push(p);
    else if (refund) {
      // A refund made at Xendit, paid out of the clearing account against its credit note (and the
      // payment's overpayment): compared with Xendit's refund once all its parts are met.
      if (refund[1] === 'refund') bookedRefunds.add(refund[2]);
      const key = `${refund[1]} ${refund[2]}`;
      refundParts.set(key, [...(refundParts.get(key) ?? []), p]);
    } else {
      const currency = currencyOf.get(p.accountId ?? '') ?? '';
      const out = MONEY_OUT.has(p.paymentType);
      const signed = out ? -hundredths(p.amount) : hundredths(p.amount);
      const what = p.invoiceId ? 'payment' : `${p.paymentType || 'payment'} (no invoice)`;
      others.push(clearingEntry(p.date ?? '', currency, signed, `${what} "${p.reference}" ${out ? 'out of' : 'into'} the clearing account`, p.reference));
    }
  }
  for (const [key, inRangeParts] of refundParts) {
    const [kind, id] = key.split(' ') as ['refund' | 'chargeback', string];
    // A refund is counted whole on the date of its first part; a later part only points there.
    const parts = refundPartsAnyDate.get(key) ?? inRangeParts;
    const first = parts.reduce((d, p) => ((p.date ?? '') < d ? (p.date ?? '') : d), inRangeParts[0].date ?? '');
    const currency = currencyOf.get(parts[0].accountId ?? '') ?? '';
    const row = await refundRow(deps, xenditSide, kind, id, parts, currency);
    if (first < range.from) {
      const here = -inRangeParts.reduce((s, p) => s + hundredths(p.amount), 0n);
      const date = inRangeParts[0].date ?? '';
      if (row.row.status === 'refunded') {
        rows.push({
          ...otherRow(date, currency, format(here), `${kind} ${id}: the rest of it, counted with its first part on ${first}`),
          status: 'xendit_only',
        });
      } else {
        // Its parts do not add up to what Xendit took back: what is here is held against this period.
        sum(currency).xero += here;
        rows.push({
          ...row.row,
          date,
          xenditAmount: null,
          xeroPayment: format(here),
          status: 'amount_differs',
          note: `${row.row.note}; first part on ${first}, all parts ${row.row.xeroPayment}`,
        });
      }
      continue;
    }
    if (kind === 'chargeback') chargebacksHere.push({ disputeId: id, currency, date: first, booked: parts.reduce((s, p) => s + hundredths(p.amount), 0n) });
    rows.push(row.row);
    sum(row.row.currency).xendit += row.xendit;
    sum(row.row.currency).xero += row.xero;
  }
  for (const t of txns) {
    const fee = FEE_REF.exec(t.reference);
    const over = t.type === 'RECEIVE-OVERPAYMENT' ? overpaymentFor(t) : undefined;
    const returned = FEE_RETURN_REF.exec(t.reference);
    if (fee && t.type === 'SPEND') entry(fee[1]).fees.push(t);
    else if (returned && t.type === 'RECEIVE')
      feeReturns.push({ xenditInvoiceId: returned[1], date: t.date ?? '', currency: t.currencyCode, amount: hundredths(t.total) });
    else if (over) entry(over).overpayments.push(t);
    else if (TRANSFER_SIDES.has(t.type) || isWithdrawalFee(t) || isChargebackFee(t))
      continue; // a transfer's own side, a withdrawal's fee (transfers.ts), a chargeback's fee (chargeback-fees.ts)
    else {
      const signed = t.type.startsWith('SPEND') ? -hundredths(t.total) : hundredths(t.total);
      others.push(clearingEntry(t.date!, t.currencyCode, signed, `${t.type} "${t.reference}" on the clearing account`, t.reference));
    }
  }
  const journals = journalCodes.size ? await deps.xero.listManualJournals(merchant.xero) : [];
  for (const j of journals) {
    const onClearing = j.lines.filter((l) => journalCodes.has(l.accountCode));
    if (!onClearing.length) continue;
    const returned = FEE_RETURN_REF.exec(j.narration);
    if (returned) feeReturnedAnywhere.add(returned[1]);
    const movement = onClearing.reduce((total, l) => total + hundredths(l.amount), 0n);
    const fee = FEE_REF.exec(j.narration);
    if (fee && movement < 0n) feePosted(fee[1], -movement);
    const currency = journalCodes.get(onClearing[0].accountCode)!;
    chargebackFees.seenJournal(j, movement, currency, inRange(j.date));
    if (!inRange(j.date)) continue;
    if (fee && movement < 0n) entry(fee[1]).fees.push({ date: j.date, total: format(-movement), currencyCode: currency });
    else if (returned && movement > 0n) feeReturns.push({ xenditInvoiceId: returned[1], date: j.date ?? '', currency, amount: movement });
    else if (!isWithdrawalFeeJournal(j.narration) && !isChargebackFeeJournal(j.narration))
      others.push(clearingEntry(j.date ?? '', currency, movement, `manual journal "${j.narration}" on the clearing account`, j.narration));
  }

  const paidHereIds = new Set(xendit.keys());
  // A Xero entry for an invoice Xendit paid outside the range is not "missing at Xendit": look it up.
  const refusedFor = await paidElsewhere(deps, xenditSide, byId.keys(), xendit);

  for (const id of new Set([...xendit.keys(), ...byId.keys()])) {
    const found = byId.get(id) ?? { payments: [], fees: [], overpayments: [] };
    const later = bookedLater.get(id);
    const paidHere = xendit.get(id);
    const paidOn = paidHere ? xenditDate(paidHere) : undefined;
    if (
      paidHere &&
      paidOn &&
      later &&
      movedByLock(merchant.xeroLockDate, paidOn, later) &&
      !found.payments.length &&
      !found.fees.length &&
      !found.overpayments.length
    ) {
      rows.push(
        inAccount(
          lockedOutRow(
            xenditDate(paidHere) ?? range.from,
            id,
            paidHere.currency,
            hundredths(toDecimal(paidHere.paidAmount ?? paidHere.amount, paidHere.currency)),
            `payment of Xendit invoice ${id}`,
            later,
          ),
          xenditSide.keyOf(id),
        ),
      );
      continue;
    }
    const accountCurrency = currencyOf.get(found.payments[0]?.accountId ?? '') ?? found.fees[0]?.currencyCode ?? found.overpayments[0]?.currencyCode ?? '';
    const inv = xendit.get(id);
    const billed = inv !== undefined && feeBilledMonthly(inv);
    // A billed fee's VAT is on Xendit's monthly invoice; the transaction is read for the tax withheld.
    const feeTax = inv ? await feeTaxFor(transactionOf, inv, billed) : { known: 0n };
    const compared = compare(id, inv, found, accountCurrency, feeTax, xenditDate, billed);
    const row = found.payments.length ? bookedTwice(compared, paidOutsideRange.get(id), paidHereIds.has(id)) : compared;
    const refused = inv ? undefined : refusedFor.get(id);
    rows.push(refused ? refusedByRow(row.row, refused) : inAccount(row.row, inv && xenditSide.keyOf(id)));
    sum(row.row.currency).xendit += row.xenditNet;
    sum(row.row.currency).xero += row.xeroNet;
  }
  rows.push(...(await chargebackFeeRows(deps, merchant.id, xenditSide, chargebackFees, chargebacksHere, billingAt, sum)));
  const postedFee = (id: string) => feePostedAnywhere.get(id) ?? 0n;
  for (const booked of feeReturns) {
    const r = await feeReturnRow(deps, xenditSide, transactionOf, booked, xendit.get(booked.xenditInvoiceId), postedFee);
    rows.push(r.row);
    sum(r.row.currency).xendit += r.xendit;
    sum(r.row.currency).xero += r.xero;
  }
  // Settlements: withdrawals to the merchant's bank against the bank transfers out of the clearing
  // accounts (Receive Money coded to a non-bank one: transfers.ts).
  const bankAccounts = new Map(accounts.filter((id) => !nonBank.includes(id) && currencyOf.has(id)).map((id) => [id, currencyOf.get(id) || '']));
  // Asked of Xendit per currency: every clearing account's (a former one's too; the default one's, when Xero could not say, the base currency).
  const held = new Set([
    ...Object.keys(merchant.clearingAccounts),
    currencyOf.get(merchant.clearingAccountId) ?? (await baseCurrency(deps, merchant)),
    ...clearing.former.keys(),
  ]);
  const currencies = SUPPORTED_CURRENCIES.filter((c) => held.has(c));
  // A clearing account in a currency Xendit has no balance in: nothing to list, nothing compared.
  const unlisted = [...held].filter((c) => !currencies.includes(c as Currency));
  if (unlisted.length) {
    rows.push(
      incompleteRow(range, `clearing account in ${unlisted.join(', ')}, a currency Xendit does not list: its withdrawals and movements are not compared`),
    );
  }
  const settled = await transferRows(deps, merchant, range, timezone, bankAccounts, currencies, nonBankByCode, xenditSide, billingAt, journals, txns);
  rows.push(...clearing.rows, ...settled.rows);
  const unbooked = await missingRefundRows(deps, xenditSide, range, timezone, bookedRefunds, bookedLater, merchant.xeroLockDate);
  rows.push(...unbooked.rows);
  for (const [currency, amount] of unbooked.sums) sum(currency).xendit += amount;
  const feesBack = await unbookedFeeReturnRows(
    deps,
    merchant,
    xenditSide,
    transactionOf,
    (id) => xendit.get(id),
    range,
    unbooked.succeeded,
    feeReturnedAnywhere,
    postedFee,
    feeBilledMonthly,
  );
  rows.push(...feesBack.rows);
  for (const [currency, amount] of feesBack.sums) sum(currency).xendit += amount;
  const notGateway = [...others, ...settled.others];
  const movements = await otherMovementRows(deps, merchant, xenditSide, range, timezone, currencies, notGateway, billingAt, clearingEntries.values());
  rows.push(...movements.rows);
  for (const [currency, t] of movements.sums) {
    sum(currency).xendit += t.xendit;
    sum(currency).xero += t.xero;
  }
  for (const e of notGateway) {
    if (movements.claimed.has(e)) continue;
    sum(e.row.currency).other += e.signed;
    rows.push(e.row);
  }
  for (const [currency, t] of settled.sums) {
    sum(currency).xendit += t.xendit;
    sum(currency).xero += t.xero;
    sum(currency).other += t.other;
  }
  // A key Xendit refused: what its account holds was not compared.
  rows.push(...xenditSide.refusedRows(range));
  rows.sort((a, b) => (a.date === b.date ? (a.xenditInvoiceId ?? '').localeCompare(b.xenditInvoiceId ?? '') : a.date.localeCompare(b.date)));
  const totals: Record<string, Totals> = {};
  for (const [currency, t] of [...sums].sort(([a], [b]) => a.localeCompare(b))) {
    totals[currency] = { xenditNet: format(t.xendit), xeroNet: format(t.xero), difference: format(t.xendit - t.xero), otherMovement: format(t.other) };
  }
  return {
    merchant: { id: merchant.id, name: merchant.name },
    from: range.from,
    to: range.to,
    rows,
    totals,
    reconciled: [...sums.values()].every((t) => t.xendit === t.xero) && rows.every((r) => RECONCILED_ROWS.has(r.status)),
    clearingEntries,
    formerClearingAccounts: Object.fromEntries(clearing.former),
    xenditModes: xenditSide.keys.map((k) => k.mode),
  };
}
