/**
 * Manual journals: balanced lines, never to a bank account, as Xero requires.
 */
import { lockDateError } from './lock-dates.js';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { dayStart, isoDate, money, msDate, parseScaled, readDate } from './decimals.js';
import { validationBody } from './errors.js';
import { asArray, envelope, org, remember, replayed } from './http.js';
import type { XeroSimulator } from './simulator.js';
import { type SimManualJournal, type SimOrganisation } from './state.js';

export function createManualJournalsRoute(sim: XeroSimulator, req: Request, res: Response, at: Date): void {
  const o = org(res);
  if (replayed(o, req, res, at)) return;
  const items = asArray(req.body, 'ManualJournals');
  let answer: { status: number; body: unknown } = { status: 400, body: validationBody(['No manual journals were supplied']) };
  const planned: SimManualJournal[] = [];
  for (const raw of items) {
    const errors: string[] = [];
    const j = validateManualJournal(o, raw, errors, at);
    if (errors.length || !j) {
      planned.length = 0;
      answer = { status: 400, body: validationBody(errors, raw) };
      break;
    }
    planned.push(j);
  }
  if (planned.length) {
    for (const j of planned) o.manualJournals.set(j.manualJournalId, j);
    answer = { status: 200, body: envelope(at, { ManualJournals: planned.map((j) => manualJournalJson(o, j)) }) };
  }
  remember(o, req, at, answer.status, answer.body);
  if (sim.faults.dropIfArmed(req, res)) return;
  res.status(answer.status).json(answer.body);
}

export function validateManualJournal(o: SimOrganisation, raw: Record<string, unknown>, errors: string[], at: Date): SimManualJournal | undefined {
  const narration = typeof raw.Narration === 'string' ? raw.Narration.trim() : '';
  if (!narration) errors.push('Narration cannot be empty');
  const status = raw.Status === undefined ? 'DRAFT' : raw.Status;
  if (status !== 'DRAFT' && status !== 'POSTED') errors.push(`Invalid status for a new manual journal: ${String(status)}`);
  const date = raw.Date === undefined ? isoDate(at) : readDate(raw.Date);
  if (!date) errors.push('Date is not a valid date');
  const locked = lockDateError(o, date);
  if (locked) errors.push(locked);
  const rawLines = Array.isArray(raw.JournalLines) ? (raw.JournalLines as Record<string, unknown>[]) : [];
  if (rawLines.length < 2) errors.push('Journal must have at least two lines');
  const lines = rawLines.map((li) => {
    const code = String(li.AccountCode ?? '');
    const account = o.accounts.find((a) => a.code === code || (li.AccountID !== undefined && a.accountId === li.AccountID));
    if (!account) errors.push(`Account code '${code}' is not a valid code for this document`);
    // As in Xero: a bank account's balance moves only through bank transactions and payments.
    else if (account.type === 'BANK') errors.push(`Account code '${account.code}' is a bank account. You can't post a manual journal to a bank account`);
    else if (account.status !== 'ACTIVE') errors.push(`Account code '${account.code}' has been archived`);
    const amount = parseScaled(li.LineAmount, 2);
    if (amount === undefined || amount === 0n) errors.push('Journal line amounts must be non-zero numbers with at most 2 decimal places');
    const taxType = typeof li.TaxType === 'string' ? li.TaxType : 'NONE';
    if (taxType !== 'NONE') errors.push(`The simulator supports TaxType NONE only, not ${taxType}`);
    return { description: String(li.Description ?? ''), accountCode: account?.code ?? code, lineAmount: amount ?? 0n, taxType };
  });
  if (!errors.length && lines.reduce((sum, l) => sum + l.lineAmount, 0n) !== 0n) errors.push('The total debits must equal the total credits');
  if (errors.length || !date) return undefined;
  return { manualJournalId: randomUUID(), narration, date, status: status as 'DRAFT' | 'POSTED', lines, updatedAt: at };
}

export function manualJournalJson(o: SimOrganisation, j: SimManualJournal): Record<string, unknown> {
  return {
    ManualJournalID: j.manualJournalId,
    Date: msDate(dayStart(j.date)),
    Status: j.status,
    LineAmountTypes: 'NoTax',
    UpdatedDateUTC: msDate(j.updatedAt),
    ShowOnCashBasisReports: true,
    HasAttachments: false,
    Narration: j.narration,
    JournalLines: j.lines.map((l) => {
      const account = o.accounts.find((a) => a.code === l.accountCode);
      return {
        Description: l.description,
        TaxType: l.taxType,
        TaxAmount: 0,
        LineAmount: money(l.lineAmount),
        AccountCode: l.accountCode,
        ...(account ? { AccountID: account.accountId } : {}),
        Tracking: [],
        IsBlank: false,
      };
    }),
  };
}

/**
 * As when the merchant voids a posted manual journal in Xero: VOIDED (xero_accounting.yaml
 * ManualJournal.Status), updated now. Only a posted one is voided; a draft is deleted instead.
 */
export function voidManualJournal(o: SimOrganisation, manualJournalId: string, at: Date): void {
  const j = o.manualJournals.get(manualJournalId);
  if (!j) throw new Error(`no manual journal ${manualJournalId}`);
  if (j.status !== 'POSTED') throw new Error(`manual journal ${manualJournalId} is ${j.status}, not POSTED`);
  j.status = 'VOIDED';
  j.updatedAt = at;
}
