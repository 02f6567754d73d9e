/** Payments: the one the gateway records on an invoice, and those on its clearing account (reconciliation). */
import { allPages, LONG_LIST_PAGE_SIZE, lookup, pageOf, whereEquals, whereGuid, type XeroCalls } from './call.js';
import { itemResults, referenceWheres } from './batch.js';
import { firstCreated } from './errors.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { mapAccountPayment, mapPayment, paymentBody, paysInvoice } from './mappers.js';
import type { XeroGateway } from './types.js';

export function paymentCalls({
  call,
}: XeroCalls): Pick<XeroGateway, 'findPaymentsByReference' | 'createPayment' | 'createPayments' | 'findPaymentsByReferences' | 'listPaymentsToAccount'> {
  return {
    async findPaymentsByReference(creds, invoiceId, reference) {
      // A Reference no `where` can hold: the invoice's own payments, by its id, instead.
      const where = whereEquals('Reference', reference) ?? whereGuid('Invoice.InvoiceID', invoiceId);
      const res = await call(creds, 'findPaymentsByReference', (api) => api.getPayments(creds.tenantId, undefined, where));
      return (res.body.payments ?? [])
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
      for (const where of referenceWheres(references)) {
        const rows = await lookup(
          where,
          (w, page) =>
            call(creds, 'findPaymentsByReferences', (api) => api.getPayments(creds.tenantId, undefined, w, undefined, page)).then((r) =>
              pageOf(r.body.payments, r.body.pagination),
            ),
          (p) => p.paymentID,
        );
        // Xero's `where` compares case-insensitively: exact matches only.
        found.push(
          ...rows
            .filter((p) => wanted.has(p.reference ?? '') && p.invoice?.invoiceID && paysInvoice(p) && String(p.status) !== 'DELETED')
            .map((p) => mapPayment(p)),
        );
      }
      return found;
    },

    async listPaymentsToAccount(creds, accountId) {
      const where = whereGuid('Account.AccountID', accountId);
      const rows = await allPages(
        (page) =>
          call(creds, 'listPaymentsToAccount', (api) => api.getPayments(creds.tenantId, undefined, where, undefined, page, LONG_LIST_PAGE_SIZE)).then((r) =>
            pageOf(r.body.payments, r.body.pagination),
          ),
        (p) => p.paymentID,
        { pageSize: LONG_LIST_PAGE_SIZE },
      );
      return rows.filter((p) => p.account?.accountID === accountId && String(p.status) !== 'DELETED').map(mapAccountPayment);
    },
  };
}
