/**
 * Xendit's fees on lost disputes (jobs/sync/chargeback-fee.ts): each Spend Money `Xendit chargeback
 * fee <transaction id>` on a clearing account, or manual journal of that Narration crediting one that
 * is no bank account, held against what that CHARGEBACK transaction's `fee` object says Xendit took
 * (its fee with the VAT, and the taxes withheld; the fee and VAT none when billed monthly then), and
 * each chargeback booked in the range whose transaction shows a fee that no such entry books, at any
 * date, as a fee missing in Xero: the clearing account would stay above Xendit's balance by it. A fee
 * that came out of a transaction amount equal to the chargeback's left with it: not missing.
 */
import type { XeroBankTransaction } from '../clients/xero/types.js';
import type { XenditChargeback } from '../clients/xendit/types.js';
import type { XenditFeeBilling } from '../store/merchants.js';
import type { Refund } from '../store/refunds.js';
import { SUPPORTED_CURRENCIES, toDecimal, type Currency } from '../money.js';
import { format, hundredths, type ReportDeps, type ReportRow, type RowStatus } from './rows.js';
import { inAccount, type XenditAccounts } from './xendit-accounts.js';

const CHARGEBACK_FEE_REF = /^Xendit chargeback fee (\S+)$/;

export const isChargebackFee = (t: Pick<XeroBankTransaction, 'type' | 'reference'>): boolean => t.type === 'SPEND' && CHARGEBACK_FEE_REF.test(t.reference);

/** A manual journal of a chargeback's fee (on a clearing account that is no bank account). */
export const isChargebackFeeJournal = (narration: string): boolean => CHARGEBACK_FEE_REF.test(narration);

/** A fee's entry as the report holds it: what left the clearing account (decimal, positive). */
interface BookedFee {
  id: string;
  date?: string;
  total: string;
  currencyCode: string;
}

/** The chargeback fees booked on the clearing accounts: those of the range, and every transaction id booked at any date. */
export function chargebackFeesBooked() {
  const inRange: BookedFee[] = [];
  const anyDate = new Set<string>();
  const note = (id: string, fee: Omit<BookedFee, 'id'>, here: boolean) => {
    anyDate.add(id);
    if (here) inRange.push({ id, ...fee });
  };
  return {
    inRange,
    anyDate,
    seen(t: XeroBankTransaction, here: boolean) {
      const id = t.type === 'SPEND' ? CHARGEBACK_FEE_REF.exec(t.reference)?.[1] : undefined;
      if (id) note(id, { date: t.date, total: t.total, currencyCode: t.currencyCode }, here);
    },
    /** A manual journal, by what it credited the clearing account (`movement`, hundredths: negative when out). */
    seenJournal(j: { narration: string; date?: string }, movement: bigint, currency: string, here: boolean) {
      const id = CHARGEBACK_FEE_REF.exec(j.narration)?.[1];
      if (id && movement < 0n) note(id, { date: j.date, total: format(-movement), currencyCode: currency }, here);
    },
  };
}

/**
 * The rows, each side's amount counted into `sum` of its currency (negative: out of the balance).
 * `chargebacks`: the chargebacks booked in the range (dispute id, currency); `billingAt`: how Xendit charged its fees when.
 */
export async function chargebackFeeRows(
  deps: ReportDeps,
  merchantId: string,
  accounts: XenditAccounts,
  booked: ReturnType<typeof chargebackFeesBooked>,
  chargebacks: { disputeId: string; currency: string; date: string; booked: bigint }[],
  billingAt: (at: Date) => XenditFeeBilling,
  sum: (currency: string) => { xendit: bigint; xero: bigint },
): Promise<ReportRow[]> {
  const rows: ReportRow[] = [];
  const count = (currency: string, xendit: bigint, xero: bigint) => {
    sum(currency).xendit += xendit;
    sum(currency).xero += xero;
  };
  const taken = (c: XenditChargeback) => {
    const fee = billingAt(new Date(c.created)) === 'invoiced' ? 0 : c.fee.fee;
    return hundredths(toDecimal(fee + c.fee.withheld, c.currency));
  };
  for (const t of booked.inRange) {
    const id = t.id;
    const xero = hundredths(t.total);
    const found = await accounts.find('chargebacks', (key) => deps.xendit.getChargebackTransaction(key, id));
    const xendit = found.value ? taken(found.value) : null;
    const status: RowStatus = xendit === null ? 'missing_at_xendit' : xendit === xero ? 'matched' : 'fee_differs';
    const row = feeRow(
      t.date ?? '',
      t.currencyCode,
      xendit,
      xero,
      status,
      `chargeback fee ${id}${found.value ? ` (chargeback ${found.value.disputeId})` : ''}`,
    );
    rows.push(found.value ? inAccount(row, found.key) : row);
    count(t.currencyCode, -(xendit ?? 0n), -xero);
  }
  const lookups = await transactionLookups(
    deps,
    merchantId,
    chargebacks.map((c) => c.disputeId),
  );
  for (const { disputeId, currency, date, booked: chargedBack } of chargebacks) {
    if (!(SUPPORTED_CURRENCIES as readonly string[]).includes(currency)) continue;
    const l = lookups.get(disputeId);
    const found = await accounts.find('chargebacks', (key) =>
      l?.txnId ? deps.xendit.getChargebackTransaction(key, l.txnId) : deps.xendit.getChargeback(key, disputeId, currency as Currency, l?.payment),
    );
    const c = found.value;
    if (!c || booked.anyDate.has(c.id)) continue;
    // Out of an amount the chargeback's own entry carried (chargeback-fee.ts feeInsideChargeback).
    if (c.fee.inAmount && hundredths(toDecimal(c.amount, c.currency)) === chargedBack) continue;
    const xendit = taken(c);
    if (xendit === 0n) continue;
    rows.push(inAccount(feeRow(date, currency, xendit, null, 'fee_missing', `chargeback fee ${c.id} (chargeback ${disputeId}): not in Xero`), found.key));
    count(currency, -xendit, 0n);
  }
  return rows;
}

/**
 * Where each chargeback's CHARGEBACK transaction is found, from what the gateway kept: the
 * transaction its job read (by id), else the disputed payment (its payment_id as the dispute gave it,
 * else as the payment recorded it) and the amount booked, for a product_id that names the payment
 * rather than the dispute (undocumented which: clients/xendit/chargebacks.ts getChargeback).
 */
async function transactionLookups(
  deps: ReportDeps,
  merchantId: string,
  disputeIds: string[],
): Promise<Map<string, { txnId?: string; payment?: { id: string; amount: number; held: string[] } }>> {
  const out = new Map<string, { txnId?: string; payment?: { id: string; amount: number; held: string[] } }>();
  const stores = deps.stores;
  if (!stores?.refunds || !disputeIds.length) return out;
  const rows = [...(await stores.refunds.byXenditIds(merchantId, disputeIds)).values()].filter((r) => r.kind === 'chargeback');
  const payments = stores.payments?.byIds ? await stores.payments.byIds(rows.map((r) => r.paymentId)) : [];
  // Every chargeback of the payment, the ones outside the report's range too.
  const ofPayment = new Map<string, Refund[]>();
  const siblings = async (paymentId: string): Promise<Refund[]> => {
    if (!stores.refunds?.forPayment) return rows.filter((o) => o.paymentId === paymentId);
    if (!ofPayment.has(paymentId)) ofPayment.set(paymentId, await stores.refunds.forPayment(paymentId));
    return ofPayment.get(paymentId)!;
  };
  for (const [i, r] of rows.entries()) {
    const known = await stores.knownDisputes?.byId(merchantId, r.xenditRefundId);
    const paymentId = known?.xenditPaymentId ?? payments[i]?.xenditPaymentId ?? null;
    // Under the payment's id, a transaction another chargeback of it holds is not this one's (getChargeback).
    const held = (await siblings(r.paymentId)).flatMap((o) => (o.id !== r.id && o.kind === 'chargeback' && o.chargebackFee ? [o.chargebackFee.txnId] : []));
    out.set(r.xenditRefundId, {
      ...(r.chargebackFee?.txnId ? { txnId: r.chargebackFee.txnId } : {}),
      ...(paymentId ? { payment: { id: paymentId, amount: r.amount, held } } : {}),
    });
  }
  return out;
}

function feeRow(date: string, currency: string, xendit: bigint | null, xero: bigint | null, status: RowStatus, note: string): ReportRow {
  return {
    date,
    xenditInvoiceId: null,
    currency,
    xenditAmount: null,
    xenditFee: xendit === null ? null : format(xendit),
    xeroPayment: null,
    xeroFee: xero === null ? null : format(xero),
    status,
    note,
  };
}
