/**
 * Bank Transfers (money between two of the organisation's bank accounts) and the Bank Summary
 * report: what a withdrawal from Xendit to the merchant's bank becomes in Xero, and the clearing
 * account's balance.
 *
 * - PUT /BankTransfers (xero_accounting.yaml createBankTransfer; developer.xero.com/documentation/
 *   api/accounting/banktransfers): FromBankAccount and ToBankAccount (BANK accounts), Amount, Date,
 *   Reference, FromIsReconciled / ToIsReconciled; Idempotency-Key as for every PUT.
 * - GET /BankTransfers?where=Reference=="…" (getBankTransfers: where, order).
 * - GET /Reports/BankSummary?fromDate&toDate (getReportBankSummary): per bank account a row whose
 *   first cell carries the AccountID (attribute accountID) and whose last cell is the Closing
 *   Balance. Reports are in the organisation's base currency (help.xero.com "Foreign currency &
 *   reporting"), so only a base-currency account's balance is its own.
 */
import type { BankTransfer, ReportRows } from 'xero-node';
import { whereEquals, whereGuid, type XeroCalls } from './call.js';
import { firstCreated, refusedIfInvalid, unexpected } from './errors.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { amount, dateOf, sdkAmount } from './mappers.js';
import type { XeroBankTransfer, XeroCredentials, XeroGateway } from './types.js';

export function bankTransferCalls({
  call,
}: XeroCalls): Pick<XeroGateway, 'createBankTransfer' | 'findBankTransfersByReference' | 'listBankTransfersFrom' | 'listBankTransfersTo' | 'bankSummary'> {
  /** The transfers out of (From) or into (To) one account, deleted ones left out. */
  async function transfersOn(creds: XeroCredentials, accountId: string, side: 'From' | 'To'): Promise<XeroBankTransfer[]> {
    // `where` filters on any element, nested ones by a dotted path (developer.xero.com/documentation/
    // api/accounting/requests-and-responses, "Retrieving a filtered set").
    const res = await call(creds, `listBankTransfers${side}`, (api) =>
      api.getBankTransfers(creds.tenantId, undefined, whereGuid(`${side}BankAccount.AccountID`, accountId)),
    );
    return (res.body.bankTransfers ?? [])
      .filter((t) => (side === 'From' ? t.fromBankAccount : t.toBankAccount)?.accountID === accountId && String(t.status ?? 'AUTHORISED') !== 'DELETED')
      .map(mapTransfer);
  }
  return {
    async createBankTransfer(creds, t, idempotencyKey) {
      const body = {
        bankTransfers: [
          {
            fromBankAccount: { accountID: t.fromAccountId },
            toBankAccount: { accountID: t.toAccountId },
            amount: sdkAmount(t.amount),
            date: t.date,
            reference: t.reference,
            fromIsReconciled: t.fromIsReconciled,
            toIsReconciled: t.toIsReconciled,
          },
        ],
      };
      const res = await call(
        creds,
        'createBankTransfer',
        (api) => api.createBankTransfer(creds.tenantId, body, idempotencyKeyFor(idempotencyKey, 'createBankTransfer', body)),
        { purpose: 'payment-write', write: true },
      );
      return mapTransfer(refusedIfInvalid(firstCreated(res.body.bankTransfers, 'createBankTransfer answered without a bank transfer')));
    },

    async findBankTransfersByReference(creds, reference) {
      // A Reference no `where` can hold: every transfer (GET /BankTransfers is not paged), filtered here.
      const res = await call(creds, 'findBankTransfersByReference', (api) =>
        api.getBankTransfers(creds.tenantId, undefined, whereEquals('Reference', reference)),
      );
      // `where` compares case-insensitively; a DELETED transfer moved nothing.
      return (res.body.bankTransfers ?? []).filter((t) => t.reference === reference && String(t.status ?? 'AUTHORISED') !== 'DELETED').map(mapTransfer);
    },

    listBankTransfersFrom: (creds, accountId) => transfersOn(creds, accountId, 'From'),
    listBankTransfersTo: (creds, accountId) => transfersOn(creds, accountId, 'To'),

    async bankSummary(creds, date) {
      const res = await call(creds, 'bankSummary', (api) => api.getReportBankSummary(creds.tenantId, date, date));
      const rows = (res.body.reports?.[0]?.rows ?? []).flatMap((r: ReportRows) => r.rows ?? []);
      const out: Record<string, string> = {};
      for (const row of rows) {
        const cells = row.cells ?? [];
        const id = cells[0]?.attributes?.find((a) => a.id === 'accountID')?.value;
        const closing = cells.at(-1)?.value;
        if (!id || closing === undefined) continue;
        // Report cells are text ("1500000.00", "-25.00"): kept as decimal text, never a float.
        const text = closing.replace(/,/g, '').trim();
        if (!/^-?\d+(\.\d+)?$/.test(text)) throw unexpected(`bank summary closing balance ${closing} is not a number`);
        out[id] = text;
      }
      return out;
    },
  };
}

function mapTransfer(t: BankTransfer): XeroBankTransfer {
  if (!t.bankTransferID) throw unexpected('bank transfer without BankTransferID');
  return {
    bankTransferId: t.bankTransferID,
    fromAccountId: t.fromBankAccount?.accountID ?? '',
    toAccountId: t.toBankAccount?.accountID ?? '',
    amount: amount(t.amount, 'Amount'),
    reference: t.reference ?? '',
    fromIsReconciled: t.fromIsReconciled === true,
    ...(dateOf(t.date) ? { date: dateOf(t.date) } : {}),
  };
}
