/**
 * A refund made at Xendit goes into Xero as a credit note for the customer (ACCRECCREDIT,
 * AUTHORISED) and a cash refund of it out of the clearing account (refund-payments.ts). An invoice
 * already PAID cannot take a credit-note allocation, so the credit is paid out instead.
 */
import type { CreditNote, LineAmountTypes } from 'xero-node';
import { lookup, pageOf, whereEquals, type XeroCalls } from './call.js';
import { firstCreated, refusedIfInvalid, unexpected } from './errors.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { amount, sdkAmount } from './mappers.js';
import type { XeroCreditNote, XeroGateway } from './types.js';

export function creditNoteCalls({ call }: XeroCalls): Pick<XeroGateway, 'createCreditNote' | 'findCreditNotesByReference'> {
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
      const rows = await lookup(
        whereEquals('Reference', reference),
        (where, page) =>
          call(creds, 'findCreditNotesByReference', (api) => api.getCreditNotes(creds.tenantId, undefined, where, undefined, page)).then((r) =>
            pageOf(r.body.creditNotes, r.body.pagination),
          ),
        (c) => c.creditNoteID,
      );
      return rows.filter((c) => c.reference === reference && !['DELETED', 'VOIDED'].includes(String(c.status))).map(mapCreditNote);
    },
  };
}

function mapCreditNote(c: CreditNote): XeroCreditNote {
  if (!c.creditNoteID) throw unexpected('credit note without CreditNoteID');
  return { creditNoteId: c.creditNoteID, reference: c.reference ?? '', status: String(c.status ?? ''), total: amount(c.total, 'Total') };
}
