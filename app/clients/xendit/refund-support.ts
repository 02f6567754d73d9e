/**
 * Which payments Xendit refunds, by how the invoice was paid (its payment_method and
 * payment_channel). "Not all payment channels support refunds" (docs.xendit.co "Refund a payment
 * request"); refunds are "available for eligible card, e-wallet, direct debit, and QR code
 * payments, subject to channel support", and "Partial refunds depend on channel support"
 * (docs.xendit.co API reference "Create a refund"). Xendit refuses the others with
 * REFUND_NOT_SUPPORTED or PARTIAL_REFUND_NOT_SUPPORTED (xendit-node CreateRefund400Response).
 *
 * The simulated Xendit refuses by this table and the admin's Refund form follows it. Only what a
 * source says is refused: "Not all payment channels support refunds" does not say which others
 * are, so a channel the table does not name is `unlisted` and right either way: the simulator
 * refunds it (whole or in part) and the gateway offers the form, Xendit deciding and the gateway
 * recording a refusal as it does any other.
 */

/**
 * `partial`: full and partial refunds; `full`: only the whole paid amount; `none`: no refund;
 * `unlisted`: no source says (taken by the simulator, offered by the admin).
 */
export type RefundSupport = 'partial' | 'full' | 'none' | 'unlisted';

/**
 * Never refunded through Xendit: virtual accounts and retail outlets are not among the refundable
 * kinds ("Create a refund" above). PayLater refunds are "Available for transactions created using
 * Paylater API (/paylater)" (docs.xendit.co "Refunds in PayLater"), so not for an invoice's.
 */
const NONE = new Set(['BANK_TRANSFER', 'CALLBACK_VIRTUAL_ACCOUNT', 'POOL', 'RETAIL_OUTLET', 'PAYLATER', 'CRYPTOCURRENCY']);

/**
 * E-wallets, by channel and currency. "Partial refund might be allowed depending on the eWallet
 * partner's policy" (docs.xendit.co e-wallet "Void and Refund"); Xendit's help centre ("How to
 * refund/void an eWallet transaction using API") says refunds "Can be full or partial amount" and
 * are "Not applicable for OVO one time payment and AstraPay" (an invoice's OVO payment is one-time).
 * The Philippine dashboard takes partial refunds (same "Void and Refund" table). ShopeePay in
 * Thailand: "Refund ❌" (docs.xendit.co "ShopeePay E-Wallet", THB). Other wallets are unlisted.
 */
const EWALLETS: Record<string, RefundSupport> = {
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

export function refundSupport(paid: { method: string | null | undefined; channel: string | null | undefined; currency: string }): RefundSupport {
  const method = paid.method?.toUpperCase();
  if (!method) return 'unlisted';
  if (NONE.has(method)) return 'none';
  // Cards: "You can issue multiple partial refunds" (docs.xendit.co cards "Creating Refunds").
  if (method === 'CREDIT_CARD') return 'partial';
  // QRIS: whether a partial refund is taken depends on the payer's issuer (docs.xendit.co "QRIS",
  // Limitations), which the invoice does not tell: the stricter reading, whole refunds only.
  if (method === 'QR_CODE' || method === 'QRIS') return 'full';
  // Direct debit is refundable ("Create a refund"), but no source says whether in part: unlisted,
  // not `full`, so the admin does not forbid a partial refund Xendit may take.
  if (method === 'EWALLET') return EWALLETS[`${paid.currency}:${paid.channel?.toUpperCase() ?? ''}`] ?? 'unlisted';
  return 'unlisted';
}
