/** Spend and Receive Money (BankTransactions): Xendit's fees, overpayments, and what reconciliation lists. */
import { allPages, LONG_LIST_PAGE_SIZE, pageOf, whereEquals, whereGuid, type XeroCalls } from './call.js';
import { itemResults, referenceWheres } from './batch.js';
import { firstCreated, refusedIfInvalid } from './errors.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { bankTransactionBody, mapBankTransaction } from './mappers.js';
import type { XeroGateway } from './types.js';

export function bankTransactionCalls({
  call,
}: XeroCalls): Pick<
  XeroGateway,
  | 'findBankTransactionsByReference'
  | 'createBankTransaction'
  | 'createBankTransactions'
  | 'findBankTransactionsByReferences'
  | 'listBankTransactionsOfAccount'
  | 'listOverpaymentsOfContact'
> {
  return {
    async findBankTransactionsByReference(creds, reference) {
      // Paged: only then does Xero include line items (xero_accounting.yaml getBankTransactions `page`).
      // A Reference no `where` can hold: every page, unfiltered.
      const where = whereEquals('Reference', reference);
      const rows = await allPages(
        (page) =>
          call(creds, 'findBankTransactionsByReference', (api) => api.getBankTransactions(creds.tenantId, undefined, where, undefined, page)).then((r) =>
            pageOf(r.body.bankTransactions, r.body.pagination),
          ),
        (t) => t.bankTransactionID,
      );
      // Xero's `where` compares case-insensitively: keep exact matches only.
      return rows.filter((t) => t.reference === reference && !['DELETED', 'VOIDED'].includes(String(t.status))).map(mapBankTransaction);
    },

    async createBankTransaction(creds, txn, idempotencyKey) {
      const body = { bankTransactions: [bankTransactionBody(txn)] };
      const res = await call(
        creds,
        'createBankTransaction',
        (api) => api.createBankTransactions(creds.tenantId, body, undefined, undefined, idempotencyKeyFor(idempotencyKey, 'createBankTransaction', body)),
        { purpose: 'payment-write', write: true },
      );
      return mapBankTransaction(refusedIfInvalid(firstCreated(res.body.bankTransactions, 'createBankTransactions answered without a bank transaction')));
    },

    async createBankTransactions(creds, txns, idempotencyKey) {
      const body = { bankTransactions: txns.map(bankTransactionBody) };
      const res = await call(
        creds,
        'createBankTransactions',
        (api) => api.createBankTransactions(creds.tenantId, body, false, undefined, idempotencyKeyFor(idempotencyKey, 'createBankTransactions', body)),
        { purpose: 'payment-write', write: true },
      );
      return itemResults(txns, res.body.bankTransactions, mapBankTransaction);
    },

    async findBankTransactionsByReferences(creds, references) {
      const wanted = new Set(references);
      const found = [];
      for (const where of referenceWheres(references)) {
        const rows = await allPages(
          (page) =>
            call(creds, 'findBankTransactionsByReferences', (api) => api.getBankTransactions(creds.tenantId, undefined, where, undefined, page)).then((r) =>
              pageOf(r.body.bankTransactions, r.body.pagination),
            ),
          (t) => t.bankTransactionID,
        );
        found.push(...rows.filter((t) => wanted.has(t.reference ?? '') && !['DELETED', 'VOIDED'].includes(String(t.status))).map(mapBankTransaction));
      }
      return found;
    },

    async listOverpaymentsOfContact(creds, contactId) {
      // By the contact's id and the type, never by Reference: Xero documents BankTransaction.Reference
      // as "Only supported for SPEND and RECEIVE transactions" (xero_accounting.yaml). Neither value
      // can hold a quote (whereGuid refuses an id that could). Paged, for the line items.
      const where = `Type=="RECEIVE-OVERPAYMENT" AND ${whereGuid('Contact.ContactID', contactId)}`;
      const rows = await allPages(
        (page) =>
          call(creds, 'listOverpaymentsOfContact', (api) => api.getBankTransactions(creds.tenantId, undefined, where, undefined, page)).then((r) =>
            pageOf(r.body.bankTransactions, r.body.pagination),
          ),
        (t) => t.bankTransactionID,
      );
      return rows
        .filter((t) => String(t.type) === 'RECEIVE-OVERPAYMENT' && t.contact?.contactID === contactId && !['DELETED', 'VOIDED'].includes(String(t.status)))
        .map(mapBankTransaction);
    },

    async listBankTransactionsOfAccount(creds, accountId) {
      const where = whereGuid('BankAccount.AccountID', accountId);
      const rows = await allPages(
        (page) =>
          call(creds, 'listBankTransactionsOfAccount', (api) =>
            api.getBankTransactions(creds.tenantId, undefined, where, undefined, page, undefined, LONG_LIST_PAGE_SIZE),
          ).then((r) => pageOf(r.body.bankTransactions, r.body.pagination)),
        (t) => t.bankTransactionID,
        { pageSize: LONG_LIST_PAGE_SIZE },
      );
      return rows.filter((t) => t.bankAccount?.accountID === accountId && !['DELETED', 'VOIDED'].includes(String(t.status))).map(mapBankTransaction);
    },
  };
}
