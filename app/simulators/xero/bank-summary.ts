/**
 * GET /Reports/BankSummary?fromDate&toDate (xero_accounting.yaml getReportBankSummary; the XeroAPI
 * example xero-getreportbanksummary): a header row, then a section with one row per bank account
 * (first cell its name with attribute accountID, then Opening Balance, Cash Received, Cash Spent,
 * Closing Balance as strings with 2 dp).
 */
import type { Request, Response } from 'express';
import { balanceOf } from './accounts.js';
import { dayStart, formatScaled, isoDate, msDate, readDate } from './decimals.js';
import { validationBody } from './errors.js';
import { envelope, org } from './http.js';

/**
 * GET /Reports/BankSummary: per bank account the movements dated within [fromDate, toDate] and the
 * closing balance at toDate (default: this month to today). The simulator keeps each account's
 * own currency: its organisations' clearing accounts are in the base currency.
 */
export function bankSummaryRoute(req: Request, res: Response, at: Date): void {
  const o = org(res);
  const to = typeof req.query.toDate === 'string' ? readDate(req.query.toDate) : isoDate(at);
  const from = typeof req.query.fromDate === 'string' ? readDate(req.query.fromDate) : `${isoDate(at).slice(0, 8)}01`;
  if (!to || !from) return void res.status(400).json(validationBody(['fromDate and toDate must be dates']));
  const dayBefore = isoDate(new Date(dayStart(from).getTime() - 86_400_000));
  const rows = o.accounts
    .filter((a) => a.type === 'BANK')
    .map((a) => {
      const opening = balanceOf(o, a.accountId, dayBefore);
      const closing = balanceOf(o, a.accountId, to);
      const moved = closing - opening;
      const cell = (v: bigint) => ({ Value: formatScaled(v, 2), Attributes: [{ Value: a.accountId, Id: 'account' }] });
      return {
        RowType: 'Row',
        Cells: [
          { Value: a.name, Attributes: [{ Value: a.accountId, Id: 'accountID' }] },
          { Value: formatScaled(opening, 2) },
          cell(moved > 0n ? moved : 0n),
          cell(moved < 0n ? -moved : 0n),
          { Value: formatScaled(closing, 2) },
        ],
      };
    });
  const header = {
    RowType: 'Header',
    Cells: ['Bank Accounts', 'Opening Balance', 'Cash Received', 'Cash Spent', 'Closing Balance'].map((Value) => ({ Value })),
  };
  res.json(
    envelope(at, {
      Reports: [
        {
          ReportName: 'Bank Summary',
          ReportType: 'BankSummary',
          ReportTitles: ['Bank Summary', o.name, `From ${from} to ${to}`],
          ReportDate: isoDate(at),
          UpdatedDateUTC: msDate(at),
          Fields: [],
          Rows: [header, { RowType: 'Section', Title: '', Rows: rows }],
        },
      ],
    }),
  );
}
