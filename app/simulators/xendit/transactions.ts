/**
 * The Balance and Transaction API: one PAYMENT transaction per paid invoice.
 */
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { invoicesWithExternalId, queryList } from './invoices.js';
import { wire } from './json.js';
import { type Ctx, type SimXenditInvoice, type XenditSimAccount } from './state.js';

/**
 * GET /transactions (Balance and Transaction API): one PAYMENT transaction per paid invoice, with
 * Xendit's fee split into xendit_fee and value_added_tax. As at Xendit, its product_id is the
 * underlying payment (here a VA deposit id, see paymentProductId), not the invoice, and its
 * reference_id is the invoice's external_id. Filters: reference_id, product_id, types, limit.
 */
export function listTransactionsRoute(ctx: Ctx, req: Request, res: Response): void {
  const account = res.locals.account as XenditSimAccount;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const productId = text(req.query.product_id);
  const referenceId = text(req.query.reference_id);
  const types = queryList(req.query.types);
  const limit = Math.min(Math.max(Number(req.query.limit ?? 10) || 10, 1), 50);
  const rows: SimXenditInvoice[] = [];
  if (!types.length || types.includes('PAYMENT')) {
    // By reference_id, only that external id's invoices are looked at (the bench's drain asks once
    // per fee over 10 000 invoices); the product id is a hash, worked out only for those that passed the rest.
    const candidates = referenceId !== undefined ? invoicesWithExternalId(ctx.state.invoices, referenceId) : ctx.state.invoices.values();
    for (const i of candidates) {
      if (i.userId !== account.userId || !i.paidAt || i.transactionUnlisted) continue;
      if (referenceId !== undefined && i.externalId !== referenceId) continue;
      if (productId !== undefined && paymentProductId(i.id) !== productId) continue;
      rows.push(i);
    }
  }
  rows.sort((a, b) => b.paidAt!.getTime() - a.paidAt!.getTime());
  res.json({ has_more: rows.length > limit, data: rows.slice(0, limit).map((i) => transactionJson(i)), links: [] });
}

/** The VA deposit behind an invoice's payment: an id of its own, the same every time for that invoice. */
export function paymentProductId(invoiceId: string): string {
  return createHash('sha256').update(`va-deposit:${invoiceId}`).digest('hex').slice(0, 24);
}

export function transactionJson(inv: SimXenditInvoice): Record<string, unknown> {
  const fee = inv.feesPaidAmount ?? 0;
  const vat = inv.feeTax ?? 0;
  return {
    id: `txn_${inv.id}`,
    product_id: paymentProductId(inv.id),
    type: 'PAYMENT',
    status: 'SUCCESS',
    channel_category: 'VIRTUAL_ACCOUNT',
    channel_code: inv.paymentChannel ?? 'BCA',
    reference_id: inv.externalId,
    account_identifier: null,
    currency: inv.currency,
    amount: wire(inv.paidAmount!, inv.currency),
    net_amount: wire(inv.paidAmount! - fee - vat, inv.currency),
    cashflow: 'MONEY_IN',
    settlement_status: inv.status === 'SETTLED' ? 'SETTLED' : 'PENDING',
    estimated_settlement_time: new Date(inv.paidAt!.getTime() + 86_400_000).toISOString(),
    business_id: inv.userId,
    created: inv.paidAt!.toISOString(),
    updated: inv.updated.toISOString(),
    // feesPaidWire: a figure as Xendit sends it on the wire, odd ones included (tests of fees that do not fit the currency).
    fee: {
      xendit_fee: inv.feesPaidWire ?? wire(fee, inv.currency),
      value_added_tax: wire(vat, inv.currency),
      xendit_withholding_tax: 0,
      third_party_withholding_tax: 0,
      status: 'COMPLETED',
    },
  };
}
