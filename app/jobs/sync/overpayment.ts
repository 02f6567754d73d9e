import { paymentClearingAccount, type Merchant } from '../../store/merchants.js';
import type { Payment } from '../../store/payments.js';
import { toDecimal } from '../../money.js';
import type { PaymentTarget, RecordPaymentDeps } from './payment-deps.js';
import { organisationDate } from './org-date.js';

/** Reference on the Xero overpayment: how a retry finds what an earlier attempt created. */
export function overpaymentReference(xenditInvoiceId: string): string {
  return `Xendit overpayment ${xenditInvoiceId}`;
}

/** The overpayment cannot be made without a person (the message says why). */
export class OverpaymentUnrecordable extends Error {}

/**
 * Money Xendit collected beyond the invoice's AmountDue, as a RECEIVE-OVERPAYMENT bank transaction
 * for the invoice's contact: the customer's credit in Xero, to refund or allocate later. Into the
 * clearing account the payment went into (paymentClearingAccount), where Xendit's settlement of
 * the whole amount is matched, not today's: the overpayment may be made days later (a lost
 * answer, a Retry after review) and the merchant may have switched accounts meanwhile. Found by
 * Reference in any account before it is created, so a re-run after a switch makes none in the new one.
 * `alone`: none of the payment went on the invoice (nothing was due), so the overpayment's account is the payment's.
 */
export async function recordOverpayment(
  deps: RecordPaymentDeps,
  merchant: Merchant,
  target: PaymentTarget,
  payment: Payment,
  amount: number,
  alone: boolean,
): Promise<string> {
  const reference = overpaymentReference(payment.xenditInvoiceId);
  const clearing = await keptClearingAccount(deps, merchant, payment);
  const existing = (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).find((t) => t.type === 'RECEIVE-OVERPAYMENT');
  if (existing) {
    // Nothing else of the payment is in Xero, so its money is where an earlier run made this; this
    // run's refused create of the whole amount kept today's account meanwhile. The fee and the report follow.
    if (alone && existing.bankAccountId !== clearing) await deps.stores.payments.keepClearingAccount(payment.id, existing.bankAccountId);
    return existing.bankTransactionId;
  }
  const invoice = await deps.xero.getInvoice(merchant.xero, target.xeroInvoiceId);
  if (!invoice?.contactId)
    throw new OverpaymentUnrecordable(`the contact of Xero invoice ${target.invoiceNumber} could not be read, so no overpayment was made`);
  const created = await deps.xero.createBankTransaction(
    merchant.xero,
    {
      type: 'RECEIVE-OVERPAYMENT',
      bankAccountId: clearing,
      contactId: invoice.contactId,
      date: await organisationDate(deps, merchant, payment.paidAt, payment.currency),
      reference,
      currencyCode: payment.currency,
      // Bank transactions live on BANK accounts only, and nothing will ever match this one from a feed.
      reconciled: true,
      lineItems: [
        {
          description: `Paid at Xendit beyond ${target.invoiceNumber} (Xendit invoice ${payment.xenditInvoiceId})`,
          amount: toDecimal(amount, payment.currency),
        },
      ],
    },
    `xendit-overpayment-${payment.id}`,
  );
  return created.bankTransactionId;
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
