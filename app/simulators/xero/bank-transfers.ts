/**
 * Bank Transfers between two of the organisation's bank accounts.
 *
 * PUT /BankTransfers (xero_accounting.yaml createBankTransfer ~2639, schema BankTransfer;
 * developer.xero.com/documentation/api/accounting/banktransfers): FromBankAccount and ToBankAccount
 * by AccountID or Code, both BANK accounts and not the same one, Amount > 0, Date (default today),
 * Reference, FromIsReconciled / ToIsReconciled (default false). Xero makes a bank transaction on
 * each side (FromBankTransactionID / ToBankTransactionID) and refuses an invalid one with a 400
 * ValidationException. Xero can transfer between currencies with a CurrencyRate; the simulator
 * models same-currency transfers only and says so.
 * GET /BankTransfers with `where` (Reference=="…"); DELETED ones only with includeDeleted=true (~2563).
 * POST /BankTransfers is not a create: it is deleteBankTransfers (~2817), a body of
 * BankTransfers [{BankTransferID, Status: DELETED}] (schema BankTransfersDelete); and POST
 * /BankTransfers/{id} with {Status: DELETED} deletes one (deleteBankTransfer ~2965). Anything else
 * sent there, a create's body included, is refused with a 400 ValidationException.
 * The Bank Summary report is in bank-summary.ts.
 */
import { lockDateError } from './lock-dates.js';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { dayStart, isoDate, money, msDate, parseScaled, readDate } from './decimals.js';
import { validationBody } from './errors.js';
import { asArray, envelope, org, remember } from './http.js';
import type { XeroSimulator } from './simulator.js';
import type { SimAccount, SimBankTransfer, SimOrganisation } from './state.js';

/** Kept in the organisation's state, so the demo's saved state keeps them across a restart. */
export function bankTransfersOf(o: Pick<SimOrganisation, 'bankTransfers'>): SimBankTransfer[] {
  return (o.bankTransfers ??= []);
}

/** What the transfers (dated on or before `asOf`, when given) move in (+) and out (−) of one account, in hundredths. */
export function transferredInto(o: Pick<SimOrganisation, 'bankTransfers'>, accountId: string, asOf?: string): bigint {
  let sum = 0n;
  for (const t of bankTransfersOf(o)) {
    if ((asOf !== undefined && t.date > asOf) || t.status === 'DELETED') continue;
    if (t.toAccountId === accountId) sum += t.amount;
    if (t.fromAccountId === accountId) sum -= t.amount;
  }
  return sum;
}

const currencyOf = (a: SimAccount, o: SimOrganisation) => a.currencyCode ?? o.baseCurrency;

function findAccount(o: SimOrganisation, ref: unknown): SimAccount | undefined {
  const r = (ref ?? {}) as Record<string, unknown>;
  return o.accounts.find(
    (a) => (r.AccountID !== undefined && a.accountId === r.AccountID) || (r.AccountID === undefined && r.Code !== undefined && a.code === r.Code),
  );
}

function validate(o: SimOrganisation, raw: Record<string, unknown>, at: Date): { errors: string[]; transfer?: SimBankTransfer } {
  const errors: string[] = [];
  const from = findAccount(o, raw.FromBankAccount);
  const to = findAccount(o, raw.ToBankAccount);
  if (!from) errors.push('From bank account could not be found');
  else if (from.type !== 'BANK') errors.push('The From account must be a bank account');
  if (!to) errors.push('To bank account could not be found');
  else if (to.type !== 'BANK') errors.push('The To account must be a bank account');
  // An archived bank account takes no new entries, as on payments and bank transactions.
  for (const a of [from, to]) if (a?.type === 'BANK' && a.status !== 'ACTIVE') errors.push(`Account code '${a.code}' has been archived`);
  if (from && to && from.accountId === to.accountId) errors.push('The From and To bank accounts must be different');
  if (from && to && from.type === 'BANK' && to.type === 'BANK' && currencyOf(from, o) !== currencyOf(to, o))
    errors.push('The simulator transfers between bank accounts of the same currency only (no CurrencyRate)');
  const amount = parseScaled(raw.Amount, 2);
  if (amount === undefined || amount <= 0n) errors.push('Amount must be greater than zero');
  const date = raw.Date === undefined ? isoDate(at) : readDate(raw.Date);
  if (!date) errors.push('Date is not a valid date');
  const locked = lockDateError(o, date);
  if (locked) errors.push(locked);
  if (errors.length || !from || !to || amount === undefined || !date) return { errors };
  return {
    errors,
    transfer: {
      bankTransferId: randomUUID(),
      fromAccountId: from.accountId,
      toAccountId: to.accountId,
      fromBankTransactionId: randomUUID(),
      toBankTransactionId: randomUUID(),
      amount,
      currencyCode: currencyOf(from, o),
      date,
      reference: typeof raw.Reference === 'string' ? raw.Reference : '',
      fromIsReconciled: raw.FromIsReconciled === true,
      toIsReconciled: raw.ToIsReconciled === true,
      createdAt: at,
    },
  };
}

/** One request, all or nothing: the first invalid transfer refuses the lot, as Xero does without summarizeErrors=false. */
export function createBankTransfersRoute(sim: XeroSimulator, req: Request, res: Response, at: Date): void {
  const o = org(res);
  const items = asArray(req.body, 'BankTransfers');
  const planned: SimBankTransfer[] = [];
  let answer: { status: number; body: unknown } | undefined;
  for (const raw of items) {
    const { errors, transfer } = validate(o, raw, at);
    if (!transfer) {
      answer = { status: 400, body: validationBody(errors, raw) };
      break;
    }
    planned.push(transfer);
  }
  if (!items.length) answer = { status: 400, body: validationBody(['No bank transfers were supplied']) };
  if (!answer) {
    bankTransfersOf(o).push(...planned);
    answer = { status: 200, body: envelope(at, { BankTransfers: planned.map((t) => bankTransferJson(o, t)) }) };
  }
  remember(o, req, at, answer.status, answer.body);
  if (sim.faults.dropIfArmed(req, res)) return;
  res.status(answer.status).json(answer.body);
}

/** What deleteBankTransfers / deleteBankTransfer would refuse in one item; the transfer when it may be deleted. */
function toDelete(o: SimOrganisation, raw: Record<string, unknown>, id: unknown): { errors: string[]; transfer?: SimBankTransfer } {
  const errors: string[] = [];
  // Schema BankTransferDelete: BankTransferID and Status (DELETED) required.
  if (typeof id !== 'string' || !id) errors.push('A BankTransferID must be specified to delete a bank transfer');
  if (raw.Status !== 'DELETED') errors.push('Status must be DELETED: POST /BankTransfers deletes bank transfers; PUT creates them');
  const transfer = typeof id === 'string' ? bankTransfersOf(o).find((t) => t.bankTransferId === id) : undefined;
  if (typeof id === 'string' && id && !transfer) errors.push('Bank transfer could not be found');
  const locked = transfer && lockDateError(o, transfer.date);
  if (locked) errors.push(locked);
  return errors.length ? { errors } : { errors, transfer };
}

/** POST /BankTransfers (deleteBankTransfers) and POST /BankTransfers/{id} (deleteBankTransfer): all or nothing. */
export function deleteBankTransfersRoute(sim: XeroSimulator, req: Request, res: Response, at: Date): void {
  const o = org(res);
  const one = typeof req.params.id === 'string' ? req.params.id : undefined;
  const items = one !== undefined ? [(req.body ?? {}) as Record<string, unknown>] : asArray(req.body, 'BankTransfers');
  const found: SimBankTransfer[] = [];
  let answer: { status: number; body: unknown } | undefined;
  for (const raw of items) {
    const { errors, transfer } = toDelete(o, raw, one ?? raw.BankTransferID);
    if (!transfer) {
      answer = { status: 400, body: validationBody(errors, raw) };
      break;
    }
    found.push(transfer);
  }
  if (!items.length) answer = { status: 400, body: validationBody(['No bank transfers were supplied']) };
  if (!answer) {
    for (const t of found) deleteBankTransfer(t, at);
    answer = { status: 200, body: envelope(at, { BankTransfers: found.map((t) => bankTransferJson(o, t)) }) };
  }
  remember(o, req, at, answer.status, answer.body);
  if (sim.faults.dropIfArmed(req, res)) return;
  res.status(answer.status).json(answer.body);
}

/** As when the merchant deletes the transfer in Xero (or an app does, above): it moves no money any more. */
export function deleteBankTransfer(t: SimBankTransfer, at: Date): void {
  t.status = 'DELETED';
  t.updatedAt = at;
}

/** GET /BankTransfers: DELETED ones only with includeDeleted=true (xero_accounting.yaml getBankTransfers ~2563). */
export function listedBankTransfers(o: SimOrganisation, query: Request['query']): SimBankTransfer[] {
  const all = bankTransfersOf(o);
  return String(query.includeDeleted ?? '').toLowerCase() === 'true' ? all : all.filter((t) => t.status !== 'DELETED');
}

export function bankTransferJson(o: SimOrganisation, t: SimBankTransfer): Record<string, unknown> {
  const side = (id: string) => {
    const a = o.accounts.find((x) => x.accountId === id);
    return { AccountID: id, ...(a?.code ? { Code: a.code } : {}), Name: a?.name ?? '' };
  };
  return {
    BankTransferID: t.bankTransferId,
    FromBankAccount: side(t.fromAccountId),
    ToBankAccount: side(t.toAccountId),
    Amount: money(t.amount),
    Date: msDate(dayStart(t.date)),
    CurrencyRate: 1,
    FromBankTransactionID: t.fromBankTransactionId,
    ToBankTransactionID: t.toBankTransactionId,
    FromIsReconciled: t.fromIsReconciled,
    ToIsReconciled: t.toIsReconciled,
    Reference: t.reference,
    HasAttachments: false,
    CreatedDateUTC: msDate(t.createdAt),
    Status: t.status ?? 'AUTHORISED',
  };
}

/**
 * The two bank transactions Xero makes for a transfer, as GET /BankTransactions lists them among
 * the others: SPEND-TRANSFER on the account it leaves, RECEIVE-TRANSFER on the one it reaches
 * (xero_accounting.yaml BankTransaction.Type; they carry no contact, which is why Contact is
 * optional there). Made through BankTransfers only, never through BankTransactions.
 */
export function transferSidesJson(o: SimOrganisation, t: SimBankTransfer): Record<string, unknown>[] {
  const side = (type: 'SPEND-TRANSFER' | 'RECEIVE-TRANSFER', id: string, accountId: string, reconciled: boolean) => {
    const a = o.accounts.find((x) => x.accountId === accountId);
    return {
      BankTransactionID: id,
      Type: type,
      BankAccount: { AccountID: accountId, ...(a?.code ? { Code: a.code } : {}), Name: a?.name ?? '' },
      LineItems: [],
      IsReconciled: reconciled,
      Date: msDate(dayStart(t.date)),
      // No Reference on a transfer's sides as bank transactions (bank-transactions.ts takesReference); GET /BankTransfers shows the transfer's.
      CurrencyCode: t.currencyCode,
      CurrencyRate: 1,
      Status: t.status ?? 'AUTHORISED',
      LineAmountTypes: 'NoTax',
      SubTotal: money(t.amount),
      TotalTax: 0,
      Total: money(t.amount),
      UpdatedDateUTC: msDate(t.updatedAt ?? t.createdAt),
      HasAttachments: false,
    };
  };
  return [
    side('SPEND-TRANSFER', t.fromBankTransactionId, t.fromAccountId, t.fromIsReconciled),
    side('RECEIVE-TRANSFER', t.toBankTransactionId, t.toAccountId, t.toIsReconciled),
  ];
}
