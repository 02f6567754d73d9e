/**
 * Money going back to payers as the Transactions API lists it: a REFUND per refund made and a
 * CHARGEBACK per dispute lost. Both are types of the API reference (docs.xendit.co/apidocs/
 * list-transactions; xendit-node balance_and_transaction TransactionTypes has REFUND), so the
 * gateway's listings meet them beside payments and withdrawals, whatever it books them by.
 */
import { refundJson, refundState } from './refunds.js';
import { disputeJson, disputeState } from './disputes.js';
import { paymentIdOf, wire } from './json.js';
import { accountOf } from './accounts.js';
import type { Ctx, SimChargebackFee, SimXenditInvoice } from './state.js';

export interface MoneyBackRow {
  at: Date;
  json: Record<string, unknown>;
}

/**
 * Every SUCCEEDED refund and LOST dispute of a business, newest or not (transactions.ts sorts).
 * - A refund: MONEY_OUT of its amount, product_id the refund's id ("You can use this id to match
 *   the transaction from this API to each product API", TransactionResponse.product_id; which id
 *   is not documented: the refunded payment's when the account says so, refundTransactionProductId) and
 *   reference_id the refund's own reference_id ("customer supplied reference/external_id"), as
 *   GET /refunds/{id} tells them. Created when it was made: Xendit takes a refund from the balance
 *   then (withdrawals.ts). Its refund_fee_amount, where the API shows one at all, is not documented:
 *   here as the transaction's fee. A void moves no money out of the balance (its payment is listed
 *   VOIDED instead), so it has none.
 * - A lost dispute: MONEY_OUT of the disputed amount, "the process of returning funds to an account
 *   owner/cardholder after a successful dispute" (docs.xendit.co "Handling disputes and
 *   chargeback"), paid out of the amount held since it was raised; created when it was lost.
 * Pending and failed refunds and open or won disputes are not listed: no money has gone back.
 */
export function moneyBackRows(ctx: Ctx, userId: string): MoneyBackRow[] {
  const rows: MoneyBackRow[] = [];
  for (const r of refundState(ctx).refunds) {
    const inv = ctx.state.invoices.get(r.invoiceId);
    if (r.userId !== userId || r.status !== 'SUCCEEDED' || r.voids || !inv) continue;
    const refund = refundJson(ctx, r);
    rows.push({
      at: r.created,
      json: row(inv, {
        id: `txn_${r.id}`,
        // Which id it holds is not documented (see the comment above): the refund's unless the account says the payment's.
        product_id: accountOf(ctx, inv).refundTransactionProductId === 'payment' ? paymentIdOf(inv.id) : r.id,
        type: 'REFUND',
        reference_id: String(refund.reference_id),
        amount: r.amount,
        fee: feeObject(inv, r.refundFee ? { xenditFee: r.refundFee } : undefined),
        created: r.created,
        updated: r.updated,
      }),
    });
  }
  for (const d of disputeState(ctx).disputes) {
    const inv = ctx.state.invoices.get(d.invoiceId);
    if (d.userId !== userId || d.status !== 'LOST' || !inv || (d.chargebackListedAt && ctx.now() < d.chargebackListedAt)) continue;
    const dispute = disputeJson(ctx, d);
    rows.push({
      at: d.updated,
      json: row(inv, {
        id: `txn_${d.id}`,
        // Which id a CHARGEBACK's product_id holds is not documented ("match the transaction from this API to each product API"): the dispute's unless asked.
        product_id: d.chargebackProductId === 'payment' ? paymentIdOf(inv.id) : d.id,
        type: 'CHARGEBACK',
        reference_id: String(dispute.reference_id),
        amount: d.amount,
        ...(d.fee?.inAmount ? { net: d.amount - chargebackFeeOf(d.fee) } : {}),
        fee: feeObject(inv, d.fee),
        created: d.updated,
        updated: d.updated,
      }),
    });
  }
  return rows;
}

/** A chargeback fee's figures together (minor units). */
const chargebackFeeOf = (f: SimChargebackFee) => f.xenditFee + (f.vat ?? 0) + (f.xenditWithholding ?? 0) + (f.thirdPartyWithholding ?? 0);

/** A money-out transaction of the paid invoice's channel (xendit-node TransactionResponse). */
function row(
  inv: SimXenditInvoice,
  t: {
    id: string;
    product_id: string;
    type: string;
    reference_id: string;
    amount: number;
    net?: number;
    fee: Record<string, unknown>;
    created: Date;
    updated: Date;
  },
): Record<string, unknown> {
  return {
    id: t.id,
    product_id: t.product_id,
    type: t.type,
    status: 'SUCCESS',
    channel_category: channelCategoryOf(inv),
    channel_code: inv.paymentChannel ?? null,
    reference_id: t.reference_id,
    account_identifier: null,
    currency: inv.currency,
    amount: wire(t.amount, inv.currency),
    net_amount: wire(t.net ?? t.amount, inv.currency),
    cashflow: 'MONEY_OUT',
    settlement_status: 'SETTLED',
    // "For money-out transaction, the value will be NULL" (TransactionResponse.estimated_settlement_time).
    estimated_settlement_time: null,
    business_id: inv.userId,
    created: t.created.toISOString(),
    updated: t.updated.toISOString(),
    fee: t.fee,
  };
}

/**
 * The transaction's fee object (xendit-node balance_and_transaction FeeResponse; docs.xendit.co/apidocs/list-transactions
 * `fee`: xendit_fee, value_added_tax, xendit_withholding_tax, third_party_withholding_tax, status). No fee: NOT_APPLICABLE.
 * A chargeback's fee may be PENDING (not taken yet) before Xendit completes it (test API chargebackFee).
 */
function feeObject(inv: SimXenditInvoice, f: SimChargebackFee | undefined): Record<string, unknown> {
  const on = f && f.xenditFee + (f.vat ?? 0) + (f.xenditWithholding ?? 0) + (f.thirdPartyWithholding ?? 0) > 0;
  return {
    xendit_fee: wire(f?.xenditFee ?? 0, inv.currency),
    value_added_tax: wire(f?.vat ?? 0, inv.currency),
    xendit_withholding_tax: wire(f?.xenditWithholding ?? 0, inv.currency),
    third_party_withholding_tax: wire(f?.thirdPartyWithholding ?? 0, inv.currency),
    status: f?.status ?? (on ? 'COMPLETED' : 'NOT_APPLICABLE'),
  };
}

/** xendit-node ChannelsCategories of the way the invoice was paid. */
export function channelCategoryOf(inv: SimXenditInvoice): string {
  switch (inv.paymentMethod) {
    case 'EWALLET':
      return 'EWALLET';
    case 'CREDIT_CARD':
      return 'CARDS';
    case 'QRIS':
    case 'QR_CODE':
      return 'QR_CODE';
    case 'BANK_TRANSFER':
      return 'VIRTUAL_ACCOUNT';
    case 'DIRECT_DEBIT':
      return 'DIRECT_DEBIT';
    case 'RETAIL_OUTLET':
      return 'RETAIL_OUTLET';
    case 'PAYLATER':
      return 'PAYLATER';
    default:
      return 'OTHER';
  }
}
