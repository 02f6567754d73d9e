/**
 * A Xero overpayment (money received beyond an invoice, held as the contact's credit) read for what
 * it still holds: GET Overpayments/{id}, schema Overpayment (RemainingCredit, Status AUTHORISED |
 * PAID | VOIDED). Its refund is a payment of its own (refund-payments.ts).
 */
import { nullWhenNotFound } from '../types.js';
import type { XeroCalls } from './call.js';
import { unexpected } from './errors.js';
import { amount } from './mappers.js';
import type { XeroGateway } from './types.js';

export function overpaymentCalls({ call }: XeroCalls): Pick<XeroGateway, 'getOverpayment'> {
  return {
    async getOverpayment(creds, overpaymentId) {
      const res = await nullWhenNotFound(() => call(creds, 'getOverpayment', (api) => api.getOverpayment(creds.tenantId, overpaymentId)));
      const o = res?.body.overpayments?.[0];
      if (!o) return null;
      if (!o.overpaymentID) throw unexpected('overpayment without OverpaymentID');
      return {
        overpaymentId: o.overpaymentID,
        status: String(o.status ?? ''),
        ...(o.remainingCredit === undefined || o.remainingCredit === null ? {} : { remainingCredit: amount(o.remainingCredit, 'RemainingCredit') }),
        currencyCode: String(o.currencyCode ?? ''),
      };
    },
  };
}
