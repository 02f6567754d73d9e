/**
 * The simulated Xendit's withdrawals and other balance movements (withdrawals.ts), apart from
 * state.ts, which re-exports them. Types only, importing nothing of the simulator's.
 */
import type { Currency } from '../../money.js';

/** A balance movement of a type the gateway does not book (Transactions API: DISBURSEMENT, TOPUP, …). */
export interface SimMovement {
  id: string;
  userId: string;
  type: string;
  currency: Currency;
  amount: number; // minor units, positive
  cashflow: 'MONEY_IN' | 'MONEY_OUT';
  created: Date;
  /**
   * Xendit's fee and its VAT (minor units), listed as the transaction's fee object (xendit-node
   * FeeResponse) as a withdrawal's is (SimWithdrawal.fee): a payout is charged, "Fees are applied once
   * payouts are completed" (docs.xendit.co/transaction-fees). Money out's on top of `amount` unless
   * `inAmount` (net_amount then amount − fee); money in's always out of what came in. `pending`: the
   * fee object still PENDING, nothing taken yet. `billed`: fees billed monthly, never from the balance.
   */
  fee?: { xenditFee: number; vat: number; inAmount?: boolean; pending?: boolean; billed?: boolean };
  /**
   * Sent back after it succeeded (a payout the receiving bank returned): listed REVERSED (xendit-node
   * TransactionStatuses), `updated` then; its money and fee back in the balance, as a withdrawal's (SimWithdrawal.reversedAt).
   */
  reversedAt?: Date;
  /**
   * Reversed with its completed fee kept by Xendit: the fee object's status stays COMPLETED and the
   * fee stays out of the balance; else it comes back too (status REVERSED). Xendit documents neither
   * (xendit-node FeeResponse.status allows both), so a test picks, as for a withdrawal (SimWithdrawal.feeKept).
   * `feeBackAt`: a kept fee given back later.
   */
  feeKept?: boolean;
  feeBackAt?: Date;
  /** When its PENDING fee COMPLETED, as `updated` tells it (SimulatorTest completeMovementFee). */
  feeCompletedAt?: Date;
}

/** A withdrawal to the business's bank (withdrawals.ts). */
export interface SimWithdrawal {
  id: string;
  userId: string;
  currency: Currency;
  amount: number; // minor units, positive
  /**
   * The bank it went to (channel code) and the account number registered at Xendit, listed as the
   * transaction's account_identifier: "Account identifier of transaction. The format will be
   * different from each channel", string | null (xendit-node TransactionResponse.accountIdentifier).
   */
  channelCode: string;
  accountNumber: string | null;
  created: Date;
  /**
   * The receiving bank sent it back after it succeeded (an invalid or dormant account): Xendit
   * lists the transaction as REVERSED ("The transaction is reversed by Xendit", docs.xendit.co
   * Transactions API statuses) and the money is back in the balance (payout.reversed webhook:
   * "Funds have been refunded back to the merchant's available balance").
   */
  reversedAt?: Date;
  /**
   * Reversed, its completed fee kept by Xendit: the transaction's fee status stays COMPLETED and only
   * what the payout took besides the fee comes back; else the fee comes back too (status REVERSED).
   * Xendit documents neither (its FeeResponse.status allows both: xendit-node
   * balance_and_transaction/models/FeeResponse.d.ts, PENDING | COMPLETED | CANCELED | REVERSED |
   * NOT_APPLICABLE), so a test picks. `feeBackAt`: a kept fee given back later.
   */
  feeKept?: boolean;
  feeBackAt?: Date;
  /**
   * Requested, not sent to the bank yet: the Transactions API lists it with status PENDING
   * (xendit-node TransactionStatuses PENDING). Taken from the CASH balance already: Xendit debits
   * the balance "on any money out transaction" (docs.xendit.co/apidocs/get-balance), and the
   * dashboard checks a withdrawal against the balance when it is requested. Whether the debit comes
   * at the request or only once sent is not documented; the gateway's balance check holds either way
   * (admin/payments/balances.ts).
   */
  pending?: boolean;
  /**
   * Xendit's payout fee and its VAT (minor units; e.g. IDR 5,000 + VAT, docs.xendit.co/transaction-fees),
   * listed as the transaction's fee object (xendit-node FeeResponse xendit_fee, value_added_tax).
   * "Fees are applied once payouts are completed": PENDING and nothing taken while the withdrawal is.
   * `feeInAmount`: taken out of `amount` (the bank gets amount − fee, net_amount says so); else, this
   * simulator's default, on top (the bank gets `amount`, the balance falls by amount + fee): the docs
   * say neither for money out, and a direct-deduction fee reads as its own deduction.
   */
  /**
   * fee.pending: the payout SUCCESS but its fee object still PENDING (xendit-node FeeResponse status is its
   * own field), so a listing may see the fee only after it booked the withdrawal.
   */
  // pending: the payout SUCCESS, its fee object's own status still PENDING (xendit-node FeeResponse.status).
  fee?: { xenditFee: number; vat: number; inAmount?: boolean; billed?: boolean; pending?: boolean };
}
