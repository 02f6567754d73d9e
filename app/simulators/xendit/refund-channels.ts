/**
 * Which paid invoices the simulated Xendit refunds, by payment_method and payment_channel: the
 * simulator's own reading of Xendit's docs, kept apart from the gateway's table
 * (clients/xendit/refund-support.ts) so the two can disagree, as Xendit can with the gateway.
 *
 * Sources: "Not all payment channels support refunds" (docs.xendit.co "Refund a payment
 * request"); refunds are "available for eligible card, e-wallet, direct debit, and QR code
 * payments, subject to channel support", and "Partial refunds depend on channel support"
 * (docs.xendit.co API reference "Create a refund"). Refused with REFUND_NOT_SUPPORTED or
 * PARTIAL_REFUND_NOT_SUPPORTED (xendit-node CreateRefund400Response). A channel no source names is
 * `unlisted` and refunded whole or in part: refusing it would invent a refusal Xendit never stated.
 */

export type SimRefundSupport = 'partial' | 'full' | 'none' | 'unlisted';

/**
 * Never refunded: virtual accounts and retail outlets are not among the refundable kinds ("Create
 * a refund"); PayLater refunds are "Available for transactions created using Paylater API
 * (/paylater)" (docs.xendit.co "Refunds in PayLater"), not an invoice's.
 */
const NOT_REFUNDED = new Set(['BANK_TRANSFER', 'CALLBACK_VIRTUAL_ACCOUNT', 'POOL', 'RETAIL_OUTLET', 'PAYLATER', 'CRYPTOCURRENCY']);

/**
 * E-wallets by currency and channel: "Partial refund might be allowed depending on the eWallet
 * partner's policy" (docs.xendit.co e-wallet "Void and Refund", which lists the Philippine wallets
 * with partial refunds); Xendit's help centre ("How to refund/void an eWallet transaction using
 * API"): "Can be full or partial amount", "Not applicable for OVO one time payment and AstraPay";
 * ShopeePay in Thailand "Refund ❌" (docs.xendit.co "ShopeePay E-Wallet").
 */
const WALLETS: Record<string, SimRefundSupport> = {
  'IDR:DANA': 'partial',
  'IDR:SHOPEEPAY': 'partial',
  'IDR:LINKAJA': 'partial',
  'IDR:OVO': 'none',
  'IDR:ASTRAPAY': 'none',
  'PHP:GCASH': 'partial',
  'PHP:PAYMAYA': 'partial',
  'PHP:GRABPAY': 'partial',
  'PHP:SHOPEEPAY': 'partial',
  'THB:SHOPEEPAY': 'none',
};

export function simRefundSupport(paid: { method: string | null | undefined; channel: string | null | undefined; currency: string }): SimRefundSupport {
  const method = paid.method?.toUpperCase();
  if (!method) return 'unlisted';
  if (NOT_REFUNDED.has(method)) return 'none';
  // Cards: "You can issue multiple partial refunds" (docs.xendit.co cards "Creating Refunds").
  if (method === 'CREDIT_CARD') return 'partial';
  // QRIS: a partial refund depends on the payer's issuer (docs.xendit.co "QRIS", Limitations;
  // QR codes "Test scenarios": partial refund "not supported for this specific issuer"), which the
  // invoice does not tell: refused in part, the stricter reading.
  if (method === 'QR_CODE' || method === 'QRIS') return 'full';
  if (method === 'EWALLET') return WALLETS[`${paid.currency}:${paid.channel?.toUpperCase() ?? ''}`] ?? 'unlisted';
  // Direct debit is refundable ("Create a refund"); whether in part, no source says.
  return 'unlisted';
}
