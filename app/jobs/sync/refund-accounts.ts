/**
 * A refund's credit note is coded to the accounts its sale was (refund-lines.ts), and Xero refuses
 * a line on an account archived since (XeroAPI/Xero-Java#370; app/simulators/xero/line-items.ts).
 * Such a line goes to the merchant's sales account instead: its description says so in Xero, where
 * the accountant reads the credit note, and a warning is logged. Not to review: the money has left
 * Xendit already, and the merchant could fix nothing short of restoring the account in Xero for each
 * refund, while the sales account is where every refund without tax detail goes anyway; the line
 * keeps its tax type, so the sale's tax is still given back. Only when the sales account is not
 * active either does a person decide: the reason names the accounts and what to do, and the job run
 * again reads the chart and the merchant's sales account anew.
 */
import type { Logger } from 'pino';
import type { XeroChart } from '../../clients/xero/types.js';
import type { Merchant } from '../../store/merchants.js';
import type { CreditAccountsMoved } from '../../store/refunds.js';
import { Unrecordable } from './record-failure.js';
import type { CreditNoteLines } from './refund-lines.js';

/** `chart`: the merchant's chart of accounts, read once for the whole refund (its cash refund asks it too). */
export async function onActiveAccounts(
  deps: { logger: Pick<Logger, 'warn'> },
  merchant: Pick<Merchant, 'id'>,
  chart: () => Promise<Pick<XeroChart, 'codes'>>,
  lines: CreditNoteLines,
  salesAccountCode: string,
): Promise<{ lines: CreditNoteLines; moved: CreditAccountsMoved | null }> {
  const active = new Set((await chart()).codes);
  const closed = [...new Set(lines.lineItems.map((li) => li.accountCode).filter((code) => !active.has(code)))];
  if (!closed.length) return { lines, moved: null };
  if (!active.has(salesAccountCode)) throw new Unrecordable(noSalesAccount(closed, salesAccountCode));
  deps.logger.warn(
    { merchantId: merchant.id, archived: closed, salesAccountCode },
    'credit note lines of archived Xero accounts credited to the sales account',
  );
  // Also kept on the refund's row (the admin's payment page says it), not only in Xero and the log.
  const moved = { archived: closed, salesAccountCode };
  const movedLines = {
    ...lines,
    lineItems: lines.lineItems.map((li) =>
      closed.includes(li.accountCode)
        ? {
            ...li,
            accountCode: salesAccountCode,
            description: `${li.description}; account ${li.accountCode} is archived in Xero, credited to ${salesAccountCode}`,
          }
        : li,
    ),
  };
  return { lines: movedLines, moved };
}

function noSalesAccount(closed: string[], sales: string): string {
  const others = closed.filter((code) => code !== sales);
  const what = others.length
    ? `the sale's Xero account ${others.join(', ')} and the merchant's sales account ${sales}, which would take its lines instead, are archived or deleted in Xero`
    : `the merchant's sales account ${sales} is archived or deleted in Xero`;
  return `${what}: no credit note was made. Choose an active sales account on the merchant's Accounts page (or restore the account in Xero), then run this job again (jobs replay)`;
}
