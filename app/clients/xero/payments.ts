/** Payments: the one the gateway records on an invoice, and those on its clearing account (reconciliation). */
import { allPages, LONG_LIST_PAGE_SIZE, pageOf, whereEquals, whereGuid, type XeroCalls } from './call.js';
import { itemResults, referenceWheres } from './batch.js';
import { firstCreated, XeroValidationRefusal } from './errors.js';
import { UpstreamError } from '../types.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { mapAccountPayment, mapPayment, paymentBody, paysInvoice } from './mappers.js';
import type { Payment } from 'xero-node';
import type { XeroAccountPayment, XeroCredentials, XeroGateway } from './types.js';

/**
 * Past Xero's high volume threshold (an organisation with more than 100 000 payments) GET Payments
 * takes only paged reads filtered by the fields Xero optimised: alone or ANDed PaymentType, Status,
 * Date, Invoice.InvoiceID, Reference; ORed only Invoice.InvoiceID and PaymentID. Anything else is a
 * 400 "not filtering payments efficiently" (XeroAPI/xero-php-oauth2-app#30, #31; the list:
 * developer.xero.com/documentation/api/efficient-data-retrieval; simulators/xero/high-volume.ts).
 * So every read here is paged, and a read by a filter Xero may refuse so (an OR of References,
 * Account.AccountID) is made again by optimised ones when Xero answers it with a 400 other than a
 * ValidationException, whatever its words: below the threshold it costs nothing, above it a few calls.
 */
const refusedAsInefficient = (err: unknown) => err instanceof UpstreamError && err.status === 400 && !(err instanceof XeroValidationRefusal);

export function paymentCalls({
  call,
}: XeroCalls): Pick<XeroGateway, 'findPaymentsByReference' | 'createPayment' | 'createPayments' | 'findPaymentsByReferences' | 'listPaymentsToAccounts'> {
  /** Every page of GET Payments by `where` (none: every payment). */
  function readPayments(creds: XeroCredentials, op: string, where: string | undefined, pageSize?: number, keep?: (p: Payment) => boolean) {
    return allPages(
      (page) =>
        call(creds, op, (api) => api.getPayments(creds.tenantId, undefined, where, undefined, page, pageSize)).then((r) =>
          pageOf(r.body.payments, r.body.pagination),
        ),
      (p) => p.paymentID,
      { ...(pageSize ? { pageSize } : {}), keep },
    );
  }

  return {
    async findPaymentsByReference(creds, invoiceId, reference) {
      // A Reference no `where` can hold: the invoice's own payments, by its id, instead.
      const where = whereEquals('Reference', reference) ?? whereGuid('Invoice.InvoiceID', invoiceId);
      // Paged (Xero refuses an unpaged read past its threshold), every page: one as a rule, but an
      // invoice looked up by its id may have more than a page of payments.
      return (await readPayments(creds, 'findPaymentsByReference', where))
        .filter((p) => p.invoice?.invoiceID === invoiceId && paysInvoice(p) && p.reference === reference && String(p.status) !== 'DELETED')
        .map((p) => mapPayment(p));
    },

    async createPayment(creds, payment, idempotencyKey) {
      const body = paymentBody(payment);
      const res = await call(
        creds,
        'createPayment',
        (api) => api.createPayment(creds.tenantId, body, idempotencyKeyFor(idempotencyKey, 'createPayment', body)),
        { purpose: 'payment-write', write: true },
      );
      return mapPayment(firstCreated(res.body.payments, 'createPayment answered without a payment'), payment.invoiceId);
    },

    async createPayments(creds, payments, idempotencyKey) {
      const body = { payments: payments.map(paymentBody) };
      const res = await call(
        creds,
        'createPayments',
        (api) => api.createPayments(creds.tenantId, body, false, idempotencyKeyFor(idempotencyKey, 'createPayments', body)),
        { purpose: 'payment-write', write: true },
      );
      return itemResults(payments, res.body.payments, (p) => {
        const sent = payments.find((x) => x.reference === p.reference);
        return mapPayment(p, sent?.invoiceId);
      });
    },

    async findPaymentsByReferences(creds, references) {
      const wanted = new Set(references);
      const found = [];
      const read = (where: string | undefined) => readPayments(creds, 'findPaymentsByReferences', where);
      for (const where of referenceWheres(references)) {
        let rows;
        try {
          rows = await read(where);
        } catch (err) {
          // An OR of References is not optimised: each Reference alone is (see refusedAsInefficient).
          const alone = [...wanted].map((r) => whereEquals('Reference', r)).filter((w) => w !== undefined && where?.includes(w));
          if (alone.length < 2 || !refusedAsInefficient(err)) throw err;
          rows = [];
          for (const one of alone) rows.push(...(await read(one)));
        }
        // Xero's `where` compares case-insensitively: exact matches only.
        found.push(
          ...rows
            .filter((p) => wanted.has(p.reference ?? '') && p.invoice?.invoiceID && paysInvoice(p) && String(p.status) !== 'DELETED')
            .map((p) => mapPayment(p)),
        );
      }
      return found;
    },

    async listPaymentsToAccounts(creds, accountIds) {
      const byAccount = new Map(accountIds.map((id) => [id, [] as XeroAccountPayment[]]));
      if (!byAccount.size) return byAccount;
      const onThem = (p: Payment) => byAccount.has(p.account?.accountID ?? '') && String(p.status) !== 'DELETED';
      const read = (where: string) => readPayments(creds, 'listPaymentsToAccounts', where, LONG_LIST_PAGE_SIZE, onThem);
      let rows;
      try {
        rows = await read([...byAccount.keys()].map((id) => whereGuid('Account.AccountID', id)).join(' OR '));
      } catch (err) {
        // Account.AccountID is not optimised at all: every payment not deleted (Status is), read once
        // for all the accounts, and only theirs kept (allPages `keep`): the rest never held together.
        if (!refusedAsInefficient(err)) throw err;
        rows = await read('Status=="AUTHORISED"');
      }
      for (const p of rows) byAccount.get(p.account!.accountID!)!.push(mapAccountPayment(p));
      return byAccount;
    },
  };
}
