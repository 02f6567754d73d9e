/**
 * Payment services and branding themes: adding "Pay with Xendit" to a merchant's invoices for them.
 * Xero allows these endpoints only to apps with the `paymentservices` scope (granted to Xero
 * partners); other apps get 401, which the caller turns into the manual steps.
 */
import type { XeroCalls } from './call.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { unexpected } from './errors.js';
import type { XeroGateway } from './types.js';

export function paymentServiceCalls({
  call,
}: XeroCalls): Pick<XeroGateway, 'listPaymentServices' | 'createPaymentService' | 'listBrandingThemes' | 'applyPaymentService'> {
  return {
    async listPaymentServices(creds) {
      const res = await call(creds, 'listPaymentServices', (api) => api.getPaymentServices(creds.tenantId));
      return (res.body.paymentServices ?? []).map((s) => ({
        paymentServiceId: s.paymentServiceID ?? '',
        name: s.paymentServiceName ?? '',
        url: s.paymentServiceUrl ?? '',
      }));
    },

    async createPaymentService(creds, service, idempotencyKey) {
      const body = { paymentServices: [{ paymentServiceName: service.name, paymentServiceUrl: service.url, payNowText: service.payNowText }] };
      const res = await call(
        creds,
        'createPaymentService',
        (api) => api.createPaymentService(creds.tenantId, body, idempotencyKeyFor(idempotencyKey, 'createPaymentService', body)),
        { write: true },
      );
      const created = res.body.paymentServices?.[0];
      if (!created?.paymentServiceID) throw unexpected('createPaymentService answered without a PaymentServiceID');
      return { paymentServiceId: created.paymentServiceID, name: created.paymentServiceName ?? service.name, url: created.paymentServiceUrl ?? service.url };
    },

    async listBrandingThemes(creds) {
      const res = await call(creds, 'listBrandingThemes', (api) => api.getBrandingThemes(creds.tenantId));
      return (res.body.brandingThemes ?? []).filter((t) => t.brandingThemeID).map((t) => ({ brandingThemeId: t.brandingThemeID!, name: t.name ?? '' }));
    },

    async applyPaymentService(creds, brandingThemeId, paymentServiceId, idempotencyKey) {
      const body = { paymentServices: [{ paymentServiceID: paymentServiceId }] };
      await call(
        creds,
        'applyPaymentService',
        (api) => api.createBrandingThemePaymentServices(creds.tenantId, brandingThemeId, body, idempotencyKeyFor(idempotencyKey, 'applyPaymentService', body)),
        { write: true },
      );
    },
  };
}
