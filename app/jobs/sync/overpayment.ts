import { paymentClearingAccount, type Merchant } from '../../store/merchants.js';
import type { Payment, XeroOverpaymentIds } from '../../store/payments.js';
import type { Stores } from '../../store/index.js';
import type { XeroBankTransaction, XeroGateway } from '../../clients/xero/types.js';
import { AmountError, toDecimal, toMinor } from '../../money.js';
import { notWhileUnsettled, sendOnce } from './send-once.js';
import type { PaymentTarget, RecordPaymentDeps } from './payment-deps.js';
import { organisationDate } from './org-date.js';

/**
 * Reference sent on the Xero overpayment, for a person reading Xero. Nothing finds it by this:
 * Xero documents BankTransaction.Reference as "Only supported for SPEND and RECEIVE transactions"
 * (xero_accounting.yaml), so it may be dropped; its line's description names the payment instead.
 */
export function overpaymentReference(xenditInvoiceId: string): string {
  return `Xendit overpayment ${xenditInvoiceId}`;
}

/** The end of the overpayment line's description: what names the payment it was made for, in Xero and in the report. */
export function overpaymentLineTag(xenditInvoiceId: string): string {
  return `(Xendit invoice ${xenditInvoiceId})`;
}

/** The Xendit invoice an overpayment's line names (overpaymentLineTag); undefined for any other line. */
export function overpaymentLineOf(description: string): string | undefined {
  return /\(Xendit invoice (\S+)\)$/.exec(description)?.[1];
}

/** The overpayment cannot be made without a person (the message says why). */
export class OverpaymentUnrecordable extends Error {}

/**
 * Money Xendit collected beyond the invoice's AmountDue, as a RECEIVE-OVERPAYMENT bank transaction
 * for the invoice's contact: the customer's credit in Xero, to refund or allocate later. Into the
 * clearing account the payment went into (paymentClearingAccount), where Xendit's settlement of
 * the whole amount is matched, not today's: the overpayment may be made days later (a lost
 * answer, a Retry after review) and the merchant may have switched accounts meanwhile.
 *
 * Marked before it is sent (sendOnce). Before it is created it is looked for among the contact's
 * overpayments in any account, by the payment its line names (foundOverpayments): a re-run after a
 * lost answer, a crash or a switch of account makes none, whether or not Xero kept the Reference
 * and however long ago the Idempotency-Key lapsed. Looked for on every run, not only while the mark
 * is set: it is one read, and an earlier run this database does not know of (a restored backup,
 * or one from before the mark was kept) is found too. Not found while the mark is young, nothing
 * is sent (send-once.ts UNSETTLED_MS).
 * `alone`: none of the payment went on the invoice (nothing was due), so the overpayment's account is the payment's.
 */
export async function recordOverpayment(
  deps: RecordPaymentDeps,
  merchant: Merchant,
  target: PaymentTarget,
  payment: Payment,
  amount: number,
  alone: boolean,
): Promise<XeroOverpaymentIds> {
  const clearing = await keptClearingAccount(deps, merchant, payment);
  const invoice = await deps.xero.getInvoice(merchant.xero, target.xeroInvoiceId);
  if (!invoice?.contactId)
    throw new OverpaymentUnrecordable(`the contact of Xero invoice ${target.invoiceNumber} could not be read, so no overpayment was made`);
  const found = await foundOverpayments(deps, merchant, invoice.contactId, payment);
  if (found.length) {
    const existing = found.find((t) => minorOf(t.total, payment) === amount);
    if (!existing) {
      const money = (minor: number) => `${toDecimal(minor, payment.currency)} ${payment.currency}`;
      throw new OverpaymentUnrecordable(
        `an overpayment of ${found.map((t) => `${t.total} ${payment.currency}`).join(', ')} for this payment is in Xero already, ${money(amount)} was to be made: check it in Xero`,
      );
    }
    // Nothing else of the payment is in Xero, so its money is where an earlier run made this; this
    // run's refused create of the whole amount kept today's account meanwhile. The fee and the report follow.
    if (alone && existing.bankAccountId !== clearing) await deps.stores.payments.keepClearingAccount(payment.id, existing.bankAccountId);
    return idsOf(existing);
  }
  notWhileUnsettled(deps.clock(), payment.overpaymentAttemptAt, 'overpayment');
  const date = await organisationDate(deps, merchant, payment.paidAt, payment.currency);
  const created = await sendOnce(
    (at) => deps.stores.payments.noteOverpaymentAttempt(payment.id, at),
    deps.clock(),
    () =>
      deps.xero.createBankTransaction(
        merchant.xero,
        {
          type: 'RECEIVE-OVERPAYMENT',
          bankAccountId: clearing,
          contactId: invoice.contactId!,
          date,
          reference: overpaymentReference(payment.xenditInvoiceId),
          currencyCode: payment.currency,
          // Bank transactions live on BANK accounts only, and nothing will ever match this one from a feed.
          reconciled: true,
          lineItems: [
            {
              description: `Paid at Xendit beyond ${target.invoiceNumber} ${overpaymentLineTag(payment.xenditInvoiceId)}`,
              amount: toDecimal(amount, payment.currency),
            },
          ],
        },
        `xendit-overpayment-${payment.id}`,
      ),
  );
  return idsOf(created);
}

/**
 * The contact's overpayments (RECEIVE-OVERPAYMENT, in any account, not voided) whose line names
 * `payment`'s Xendit invoice: the one the gateway made for it, if it did.
 */
export async function foundOverpayments(deps: { xero: XeroGateway }, merchant: Merchant, contactId: string, payment: Payment): Promise<XeroBankTransaction[]> {
  return (await deps.xero.listOverpaymentsOfContact(merchant.xero, contactId)).filter((t) =>
    t.lineItems.some((li) => overpaymentLineOf(li.description) === payment.xenditInvoiceId),
  );
}

/**
 * The overpayment's own id (which its refunds name) for a payment whose row does not hold it: kept
 * before it was (migration 20261207T0039), or made while Xero's answer left it out. Found among the
 * contact's overpayments and kept; when Xero names none, the bank transaction's id stands in for
 * it (the two taken to be one). null: no overpayment of the payment is known.
 */
export async function overpaymentIdOf(deps: { xero: XeroGateway; stores: Stores }, merchant: Merchant, payment: Payment): Promise<string | null> {
  if (payment.xeroOverpaymentId) return payment.xeroOverpaymentId;
  const invoice = await deps.xero.getInvoice(merchant.xero, payment.xeroInvoiceId);
  const found = invoice?.contactId ? await foundOverpayments(deps, merchant, invoice.contactId, payment) : [];
  const txn = found.find((t) => t.bankTransactionId === payment.xeroOverpaymentTxnId) ?? (found.length === 1 ? found[0] : undefined);
  if (txn?.overpaymentId) await deps.stores.payments.keepOverpaymentId(payment.id, txn.overpaymentId);
  return txn?.overpaymentId ?? txn?.bankTransactionId ?? payment.xeroOverpaymentTxnId;
}

function idsOf(t: XeroBankTransaction): XeroOverpaymentIds {
  return { xeroOverpaymentId: t.overpaymentId ?? null, xeroOverpaymentTxnId: t.bankTransactionId };
}

function minorOf(decimal: string, payment: Payment): number | undefined {
  try {
    return toMinor(decimal, payment.currency);
  } catch (err) {
    if (err instanceof AmountError) return undefined;
    throw err;
  }
}

/**
 * The payment's clearing account as stored now: `payment` was read before this run's creates, each
 * of which commits the account it sends the payment into first. Kept before the overpayment is sent
 * when nothing named it yet, so a retry and the report find it there.
 */
async function keptClearingAccount(deps: RecordPaymentDeps, merchant: Merchant, payment: Payment): Promise<string> {
  const now = (await deps.stores.payments.byId(payment.id)) ?? payment;
  const clearing = paymentClearingAccount(merchant, now);
  if (!now.clearingAccount) await deps.stores.payments.keepClearingAccount(payment.id, clearing);
  return clearing;
}
