/**
 * Invoices and callbacks in Xendit's JSON shapes.
 */
import { toDecimal, type Currency } from '../../money.js';
import { accountOf } from './accounts.js';
import { type Ctx, type SimXenditInvoice, type XenditInvoiceJson, type XenditSimAccount } from './state.js';

export function wire(minor: number, currency: Currency): number {
  return Number(toDecimal(minor, currency));
}

export function invoiceJson(ctx: Ctx, inv: SimXenditInvoice): XenditInvoiceJson {
  const account = accountOf(ctx, inv);
  const paid = paidFields(inv, account);
  return {
    id: inv.id,
    external_id: inv.externalId,
    user_id: inv.userId,
    status: inv.status,
    merchant_name: account.businessName,
    merchant_profile_picture_url: 'https://du8nwjtfkinx.cloudfront.net/xendit.png',
    amount: wire(inv.amount, inv.currency),
    ...(inv.payerEmail ? { payer_email: inv.payerEmail } : {}),
    ...(inv.description ? { description: inv.description } : {}),
    ...(inv.customer ? { customer: { given_names: inv.customer.givenNames, email: inv.customer.email } } : {}),
    expiry_date: inv.expiryDate.toISOString(),
    invoice_url: ctx.faults.invoiceUrlOverride ?? `${ctx.checkoutBaseUrl}/checkout/${inv.id}`,
    available_banks: [],
    available_retail_outlets: [],
    available_ewallets: [],
    available_qr_codes: [],
    available_direct_debits: [],
    available_paylaters: [],
    should_exclude_credit_card: false,
    should_send_email: false,
    created: inv.created.toISOString(),
    updated: inv.updated.toISOString(),
    currency: inv.currency,
    items: inv.items.map((i) => ({ name: i.name, quantity: i.quantity, price: wire(i.price, inv.currency) })),
    ...(inv.successRedirectUrl ? { success_redirect_url: inv.successRedirectUrl } : {}),
    ...(inv.failureRedirectUrl ? { failure_redirect_url: inv.failureRedirectUrl } : {}),
    ...(inv.notifyPaid ? { customer_notification_preference: { invoice_created: [], invoice_reminder: [], invoice_paid: inv.notifyPaid } } : {}),
    ...paid,
  };
}

export function callbackJson(inv: SimXenditInvoice, account: XenditSimAccount): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: inv.id,
    external_id: inv.externalId,
    user_id: inv.userId,
    is_high: false,
    status: inv.status,
    merchant_name: account.businessName,
    amount: wire(inv.amount, inv.currency),
    payer_email: inv.payerEmail,
    description: inv.description,
    created: inv.created.toISOString(),
    updated: inv.updated.toISOString(),
    currency: inv.currency,
  };
  if (!inv.paidAt) return base;
  // payment_id only in the callback: xendit-node invoice/models/InvoiceCallback paymentId (xendit-php
  // docs/Invoice/InvoiceCallback.md); the API's Invoice model documents none (see paidFields).
  return { ...base, ...paidFields(inv, account), payment_destination: '8808999912345678', payment_id: paymentIdOf(inv.id) };
}

/** Xendit's id of an invoice's payment: the invoice callback's payment_id, and the payment_id of its refunds and disputes. */
export function paymentIdOf(invoiceId: string): string {
  return `py-${invoiceId}`;
}

/**
 * What Xendit adds to an invoice, in the API and in callbacks, once it is paid. No payment_id: the
 * API's Invoice (xendit-node invoice/models/Invoice, xendit-php docs/Invoice/Invoice.md) has none,
 * nor does a PAID invoice's GET as shown at edrus.gitbook.io/appgregator-api-docs ("Check status of
 * invoice"); only the callback carries it.
 */
export function paidFields(inv: SimXenditInvoice, account: XenditSimAccount): Record<string, unknown> {
  if (!inv.paidAt) return {};
  const feesOnInvoice = account.callbackFees ?? 'amount';
  return {
    paid_amount: wire(inv.paidAmount!, inv.currency),
    ...(feesOnInvoice === 'absent' ? {} : { fees_paid_amount: feesOnInvoice === 'zero' ? 0 : (inv.feesPaidWire ?? wire(inv.feesPaidAmount!, inv.currency)) }),
    adjusted_received_amount: wire(inv.paidAmount! - inv.feesPaidAmount! - (inv.feeTax ?? 0), inv.currency),
    paid_at: inv.paidAt.toISOString(),
    payment_method: inv.paymentMethod,
    payment_channel: inv.paymentChannel,
    bank_code: inv.paymentMethod === 'BANK_TRANSFER' ? inv.paymentChannel : undefined,
  };
}
