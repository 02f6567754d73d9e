/**
 * The merchant's Xendit balance and the withdrawals out of it to their bank.
 *
 * - A withdrawal (the dashboard's Balance → Withdraw, or a scheduled Auto-Withdrawal;
 *   docs.xendit.co/withdrawal, /auto-withdrawal) moves money from the CASH balance to a bank account
 *   the merchant registered at Xendit, never more than the balance. The Transactions API lists it
 *   as type WITHDRAWAL, cashflow MONEY_OUT, status SUCCESS once sent (xendit-node
 *   balance_and_transaction TransactionTypes, TransactionResponse).
 * - GET /balance?account_type=CASH&currency= answers { balance } (xendit-node BalanceApi, Balance);
 *   CASH is the default account type.
 * - The balance here: what SETTLED invoices brought in net of Xendit's fee and its VAT, less
 *   refunds not FAILED (Xendit takes a refund from the balance when it is made), less disputes lost
 *   or still open (an open one's amount is held: in the HOLDING balance, not CASH; disputes.ts), less withdrawals, plus or minus other movements (a payout to a supplier, a top-up; a reserve's hold and release move money between CASH and HOLDING). A PAID invoice is not in it until Xendit settles it: the Transactions API
 *   shows such a payment with settlement_status PENDING and an estimated_settlement_time (xendit-node
 *   TransactionResponse), the invoice turns SETTLED (no callback says so: callbacks.ts), and only
 *   settled money can be withdrawn.
 */
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { SUPPORTED_CURRENCIES, isSupportedCurrency, toDecimal, type Currency } from '../../money.js';
import { wire } from './json.js';
import { refundState } from './refunds.js';
import { heldByDisputes, lostDisputes } from './disputes.js';
import type { Ctx, SimMovement, SimWithdrawal, SimXenditInvoice, XenditSimAccount } from './state.js';

/** Kept in the simulator's state, so the demo's saved state keeps them across a restart. */
export function withdrawalsOf(ctx: Pick<Ctx, 'state'>): SimWithdrawal[] {
  return (ctx.state.withdrawals ??= []);
}

/** What an invoice's payment brings into the balance once settled (minor units): all but tax withheld when fees are billed monthly or were given back. */
function netOf(ctx: Ctx, inv: SimXenditInvoice): number {
  const billed = [...ctx.state.accounts.values()].find((a) => a.userId === inv.userId)?.feeBilling === 'invoiced';
  const withheld = (inv.withholdingTax?.xendit ?? 0) + (inv.withholdingTax?.thirdParty ?? 0);
  return (inv.paidAmount ?? inv.amount) - withheld - (billed || inv.feeReturnedAt ? 0 : (inv.feesPaidAmount ?? 0) + (inv.feeTax ?? 0));
}

/** The CASH balance of a business in one currency (minor units). */
export function balanceOf(ctx: Ctx, userId: string, currency: Currency): number {
  let balance = 0;
  for (const inv of ctx.state.invoices.values()) {
    if (inv.userId !== userId || inv.currency !== currency || inv.status !== 'SETTLED') continue;
    balance += netOf(ctx, inv);
  }
  for (const r of refundState(ctx).refunds) {
    const inv = ctx.state.invoices.get(r.invoiceId);
    // A void's money never reached the balance: nothing to take back; an unfunded refund takes nothing.
    if (r.userId === userId && r.status !== 'FAILED' && !r.voids && !r.unfunded && inv?.currency === currency) balance -= r.amount + (r.refundFee ?? 0);
  }
  balance -= lostDisputes(ctx, userId, currency) + heldByDisputes(ctx, userId, currency);
  for (const w of withdrawalsOf(ctx))
    if (w.userId === userId && w.currency === currency) balance -= w.reversedAt ? (w.feeKept ? takenFee(w) : 0) : w.amount + onTopFee(w);
  for (const m of ctx.state.otherMovements ?? [])
    if (m.userId === userId && m.currency === currency)
      // Reversed: nothing of it left in the balance but a fee Xendit kept, inside the amount or on top.
      balance -= m.reversedAt
        ? m.feeKept && !m.fee?.billed && !m.fee?.pending
          ? m.fee!.xenditFee + m.fee!.vat
          : 0
        : (m.cashflow === 'MONEY_IN' ? -m.amount : m.amount) + movementFeeTaken(m);
  return balance;
}

/**
 * What a refund of this payment may take (minor units): the CASH balance, and what the payment itself
 * brings when it settles. Xendit takes refunds from the balance and refuses one larger than it
 * (INSUFFICIENT_BALANCE: xendit-node CreateRefund400Response; docs.xendit.co QR codes "Test
 * scenarios": "top up your Xendit balance ... before retrying the refund"), yet refunds payments not
 * settled yet (help.xendit.co "How to refund/void an eWallet transaction using API"); from what it
 * then takes them is not documented. Here from the payment's own money still on its way.
 */
export function refundFunds(ctx: Ctx, inv: SimXenditInvoice): number {
  const unsettled = inv.status === 'PAID' && !inv.voidedAt ? netOf(ctx, inv) : 0;
  return balanceOf(ctx, inv.userId, inv.currency) + unsettled;
}

/** Paid and not settled yet: on its way into the balance (minor units). */
export function pendingSettlementOf(ctx: Ctx, userId: string, currency: Currency): number {
  let pending = 0;
  for (const inv of ctx.state.invoices.values())
    if (inv.userId === userId && inv.currency === currency && inv.status === 'PAID' && !inv.voidedAt) pending += netOf(ctx, inv);
  return pending;
}

/** What a completed payout's fee took from the balance, inside the amount or on top (none when billed monthly or not completed). */
function takenFee(w: SimWithdrawal): number {
  return w.fee && !w.pending && !w.fee.pending && !w.fee.billed ? w.fee.xenditFee + w.fee.vat : 0;
}

/** What a completed payout's fee takes from the balance besides `amount` (one inside the amount is in it already). */
function onTopFee(w: SimWithdrawal): number {
  return w.fee?.inAmount ? 0 : takenFee(w);
}

/** What a movement's completed fee takes from the balance besides its signed amount (one inside money out's amount is in it already). */
export function movementFeeTaken(m: SimMovement): number {
  const f = m.fee;
  if (!f || f.pending || f.billed || (m.cashflow === 'MONEY_OUT' && f.inAmount)) return 0;
  return f.xenditFee + f.vat;
}

/** A withdrawal of `amount` (minor units; the whole balance when absent) to the merchant's registered bank. */
export function withdraw(
  ctx: Ctx,
  account: XenditSimAccount,
  currency: Currency,
  amount?: number,
  opts: {
    at?: Date;
    pending?: boolean;
    to?: { channelCode?: string; accountNumber: string | null };
    fee?: { xenditFee: number; vat: number; inAmount?: boolean; pending?: boolean };
  } = {},
): SimWithdrawal | { error: string } {
  const available = balanceOf(ctx, account.userId, currency);
  // Fees billed monthly are on the month's bill, never taken from the balance (billing.ts).
  const billed = account.feeBilling === 'invoiced';
  const fee = opts.fee && !billed ? opts.fee.xenditFee + opts.fee.vat : 0;
  // Charged on top, the fee must fit in the balance too; the whole balance less it when no amount.
  const onTop = opts.fee?.inAmount ? 0 : fee;
  const take = amount ?? available - onTop;
  if (!Number.isInteger(take) || take <= 0 || (opts.fee?.inAmount && take <= fee)) return { error: 'amount must be greater than 0' };
  if (take + onTop > available) return { error: `amount exceeds the balance (${toDecimal(available, currency)} ${currency})` };
  const w: SimWithdrawal = {
    id: `txn_${randomUUID()}`,
    userId: account.userId,
    currency,
    amount: take,
    channelCode: opts.to?.channelCode ?? 'ID_BCA',
    accountNumber: opts.to ? opts.to.accountNumber : '8880001234',
    created: opts.at ?? ctx.now(),
    ...(opts.pending ? { pending: true } : {}),
    ...(opts.fee ? { fee: { ...opts.fee, ...(billed ? { inAmount: false, billed } : {}) } } : {}),
  };
  withdrawalsOf(ctx).push(w);
  return w;
}

/**
 * The bank sends a withdrawal back: its money returns to the balance, and its fee too unless
 * `keepFee` (a completed one only: a fee never taken has nothing to keep). Whether Xendit gives a
 * payout's fee back is not documented; the transaction's fee status says which (FeeResponse.status
 * REVERSED, or COMPLETED: xendit-node balance_and_transaction/models/FeeResponse.d.ts).
 */
export function reverseWithdrawal(ctx: Ctx, userId: string, id: string, at?: Date, keepFee = false): SimWithdrawal | { error: string } {
  const w = withdrawalsOf(ctx).find((x) => x.id === id && x.userId === userId);
  if (!w) return { error: `no withdrawal ${id}` };
  // Only one the bank received can come back from it.
  if (w.pending) return { error: `withdrawal ${id} is still PENDING` };
  if (keepFee && (!w.fee || w.fee.pending)) return { error: `withdrawal ${id} has no completed fee to keep` };
  if (w.reversedAt) return w;
  w.reversedAt = at ?? ctx.now();
  if (keepFee) w.feeKept = true;
  return w;
}

/**
 * The fee object's status (xendit-node FeeResponse.status): PENDING until the payout completes;
 * reversed, COMPLETED when Xendit kept it, REVERSED when given back, CANCELED when it was never taken.
 */
function feeStatus(w: SimWithdrawal): string {
  if (w.reversedAt) return w.feeKept ? 'COMPLETED' : w.fee?.pending ? 'CANCELED' : 'REVERSED';
  return w.pending || w.fee?.pending ? 'PENDING' : 'COMPLETED';
}

export function withdrawalJson(w: SimWithdrawal): Record<string, unknown> {
  return {
    id: w.id,
    product_id: `disb-${w.id.slice(4)}`,
    type: 'WITHDRAWAL',
    status: w.reversedAt ? 'REVERSED' : w.pending ? 'PENDING' : 'SUCCESS',
    channel_category: 'BANK',
    channel_code: w.channelCode,
    reference_id: `withdrawal-${w.id.slice(4, 12)}`,
    account_identifier: w.accountNumber,
    currency: w.currency,
    amount: wire(w.amount, w.currency),
    // The fee inside the amount: net_amount is what is left of it, as money-in rows show amount − fee.
    net_amount: wire(w.fee?.inAmount && !w.fee.billed ? w.amount - w.fee.xenditFee - w.fee.vat : w.amount, w.currency),
    cashflow: 'MONEY_OUT',
    settlement_status: 'SETTLED',
    estimated_settlement_time: w.created.toISOString(),
    business_id: w.userId,
    created: w.created.toISOString(),
    updated: (w.feeBackAt ?? w.reversedAt ?? w.created).toISOString(),
    fee: {
      xendit_fee: wire(w.fee?.xenditFee ?? 0, w.currency),
      value_added_tax: wire(w.fee?.vat ?? 0, w.currency),
      xendit_withholding_tax: 0,
      third_party_withholding_tax: 0,
      status: feeStatus(w),
    },
  };
}

/**
 * What reserves hold, minor units: "a portion of your settlement funds is moved from Available
 * Balance to Reserve Balance … Any remaining amount is released back to your available balance";
 * "The funds are still yours" (docs.xendit.co/reserves). A RESERVES_HOLD (MONEY_OUT) leaves CASH
 * (balanceOf counts it like any movement) for HOLDING, a RESERVES_RELEASE (MONEY_IN) goes back.
 * That HOLDING includes the reserve is this simulator's reading, not Xendit's word: the reserves page
 * speaks only of a dashboard "Reserve Balance", and /apidocs/get-balance names account_type CASH and
 * HOLDING without saying what HOLDING holds. Were a real reserve left out of HOLDING, the balances
 * page would show Xendit's side short by the reserve ("Differs by" its amount) until it is released.
 */
export function heldInReserve(ctx: Ctx, userId: string, currency: Currency): number {
  let held = 0;
  for (const m of ctx.state.otherMovements ?? [])
    if (m.userId === userId && m.currency === currency && (m.type === 'RESERVES_HOLD' || m.type === 'RESERVES_RELEASE'))
      held += m.cashflow === 'MONEY_OUT' ? m.amount : -m.amount;
  return held;
}

/** GET /balance: HOLDING is what open disputes and reserves hold, TAX nothing here; an unknown currency is a 400 as at Xendit. */
export function balanceRoute(ctx: Ctx, req: Request, res: Response): void {
  const account = res.locals.account as XenditSimAccount;
  const type = typeof req.query.account_type === 'string' ? req.query.account_type : 'CASH';
  const currency = typeof req.query.currency === 'string' ? req.query.currency : 'IDR';
  if (!['CASH', 'HOLDING', 'TAX'].includes(type) || !isSupportedCurrency(currency)) {
    return void res.status(400).json({ error_code: 'API_VALIDATION_ERROR', message: `currency must be one of ${SUPPORTED_CURRENCIES.join(', ')}` });
  }
  const balance =
    type === 'CASH'
      ? balanceOf(ctx, account.userId, currency)
      : type === 'HOLDING'
        ? heldByDisputes(ctx, account.userId, currency) + heldInReserve(ctx, account.userId, currency)
        : 0;
  res.json({ balance: wire(balance, currency) });
}
