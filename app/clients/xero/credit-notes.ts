/**
 * A refund made at Xendit goes into Xero as a credit note for the customer (ACCRECCREDIT,
 * AUTHORISED) and a cash refund of it: a payment on the credit note out of the clearing account
 * (PUT /Payments with CreditNote instead of Invoice; developer.xero.com/documentation/api/
 * accounting/payments "Refunding credit notes", xero_accounting.yaml Payment.CreditNote). An
 * invoice already PAID cannot take a credit-note allocation, so the credit is paid out instead.
 */
import type { CreditNote, LineAmountTypes } from 'xero-node';
import { escapeWhere, type XeroCalls } from './call.js';
import { firstCreated, refusedIfInvalid, unexpected } from './errors.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { amount, sdkAmount } from './mappers.js';
import type { XeroCreditNote, XeroGateway } from './types.js';

export function creditNoteCalls({
  call,
}: XeroCalls): Pick<XeroGateway, 'createCreditNote' | 'findCreditNotesByReference' | 'createCreditNoteRefund' | 'findCreditNoteRefundsByReference'> {
  return {
    async createCreditNote(creds, note, idempotencyKey) {
      const body = {
        creditNotes: [
          {
            type: 'ACCRECCREDIT' as unknown as CreditNote.TypeEnum,
            status: 'AUTHORISED' as unknown as CreditNote.StatusEnum,
            contact: { contactID: note.contactId },
            date: note.date,
            reference: note.reference,
            currencyCode: note.currencyCode as unknown as CreditNote['currencyCode'],
            lineAmountTypes: note.lineAmountTypes as unknown as LineAmountTypes,
            lineItems: note.lineItems.map((li) => ({
              description: li.description,
              quantity: 1,
              unitAmount: sdkAmount(li.amount),
              accountCode: li.accountCode,
              ...(li.taxType ? { taxType: li.taxType } : {}),
            })),
          },
        ],
      };
      const res = await call(
        creds,
        'createCreditNote',
        (api) => api.createCreditNotes(creds.tenantId, body, undefined, undefined, idempotencyKeyFor(idempotencyKey, 'createCreditNote', body)),
        { purpose: 'payment-write', write: true },
      );
      return mapCreditNote(refusedIfInvalid(firstCreated(res.body.creditNotes, 'createCreditNotes answered without a credit note')));
    },

    async findCreditNotesByReference(creds, reference) {
      const res = await call(creds, 'findCreditNotesByReference', (api) =>
        api.getCreditNotes(creds.tenantId, undefined, `Reference=="${escapeWhere(reference)}"`),
      );
      return (res.body.creditNotes ?? []).filter((c) => c.reference === reference && !['DELETED', 'VOIDED'].includes(String(c.status))).map(mapCreditNote);
    },

    async createCreditNoteRefund(creds, refund, idempotencyKey) {
      const body = {
        creditNote: { creditNoteID: refund.creditNoteId },
        account: { accountID: refund.accountId },
        date: refund.date,
        amount: sdkAmount(refund.amount),
        reference: refund.reference,
        ...(refund.reconciled ? { isReconciled: true } : {}),
      };
      const res = await call(
        creds,
        'createCreditNoteRefund',
        (api) => api.createPayment(creds.tenantId, body, idempotencyKeyFor(idempotencyKey, 'createCreditNoteRefund', body)),
        { purpose: 'payment-write', write: true },
      );
      const p = refusedIfInvalid(firstCreated(res.body.payments, 'createPayment answered without a payment'));
      if (!p.paymentID) throw unexpected('refund payment without PaymentID');
      return { paymentId: p.paymentID };
    },

    async findCreditNoteRefundsByReference(creds, reference) {
      const res = await call(creds, 'findCreditNoteRefundsByReference', (api) =>
        api.getPayments(creds.tenantId, undefined, `Reference=="${escapeWhere(reference)}"`),
      );
      return (res.body.payments ?? [])
        .filter((p) => p.reference === reference && p.paymentID && p.creditNote?.creditNoteID && String(p.status) !== 'DELETED')
        .map((p) => ({ paymentId: p.paymentID!, creditNoteId: p.creditNote!.creditNoteID! }));
    },
  };
}

function mapCreditNote(c: CreditNote): XeroCreditNote {
  if (!c.creditNoteID) throw unexpected('credit note without CreditNoteID');
  return { creditNoteId: c.creditNoteID, reference: c.reference ?? '', status: String(c.status ?? ''), total: amount(c.total, 'Total') };
}
