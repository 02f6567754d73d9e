/**
 * "Add Pay with Xendit to my invoices": the Custom Payment URL created as a Xero payment service and
 * applied to the invoice templates the merchant picks, instead of the four manual steps. Xero allows
 * it only to apps with the `paymentservices` scope (Xero grants it to partners): offered when the
 * gateway's Xero app asks for it (XERO_SCOPES) and the merchant connected through that app.
 */
import type { User } from '../../store/users.js';
import type { Merchant } from '../../store/merchants.js';
import { awaitingXero } from '../../store/merchant-model.js';
import { UpstreamError } from '../../clients/types.js';
import type { XeroBrandingTheme } from '../../clients/xero/types.js';
import { FormInvalid, ServiceUnavailable } from '../../errors.js';
import { customPaymentUrl } from '../../paths.js';
import { recordChange } from '../audit.js';
import { merchantToChange, type MerchantOnboardingDeps } from './service.js';

export const PAYMENT_SERVICE_NAME = 'Pay with Xendit';

export type PaymentServiceView =
  /** Not for this merchant (manual steps only): no paymentservices scope asked, or a Custom Connection. */
  | { kind: 'manual' }
  /** Xero refused (the consent lacks the scope): manual steps, and why. */
  | { kind: 'refused' }
  | { kind: 'unavailable' }
  | { kind: 'offer'; themes: XeroBrandingTheme[]; existing: boolean };

type Deps = MerchantOnboardingDeps & { paymentServicesScope: boolean };

const offered = (deps: Deps, m: Merchant) => deps.paymentServicesScope && m.xeroConnection === 'oauth' && !awaitingXero(m) && m.xeroDisconnected === null;

/** For the go-live page: the invoice templates to pick from, read from Xero. */
export async function paymentServiceView(deps: Deps, merchant: Merchant): Promise<PaymentServiceView> {
  if (!offered(deps, merchant)) return { kind: 'manual' };
  try {
    const [themes, services] = [await deps.xero.listBrandingThemes(merchant.xero), await deps.xero.listPaymentServices(merchant.xero)];
    return { kind: 'offer', themes, existing: services.some((s) => s.url === customPaymentUrl(deps.publicUrl)) };
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    deps.logger.warn({ merchantId: merchant.id, err: err.message }, 'xero payment services not read for the go-live page');
    return err.kind === 'unauthorized' ? { kind: 'refused' } : { kind: 'unavailable' };
  }
}

/**
 * Creates the payment service once (an existing one with our URL is reused, and the create carries an
 * Idempotency-Key) and applies it to each chosen template. Returns how many templates now offer it.
 */
export async function addPaymentService(deps: Deps, actor: User, merchantId: string, themeIds: string[]): Promise<number> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  if (!offered(deps, merchant)) throw new FormInvalid({ themes: 'errors:paymentServiceNotOffered' });
  const url = customPaymentUrl(deps.publicUrl);
  try {
    const themes = await deps.xero.listBrandingThemes(merchant.xero);
    const chosen = [...new Set(themeIds)];
    if (chosen.length === 0 || chosen.some((id) => !themes.some((t) => t.brandingThemeId === id))) throw new FormInvalid({ themes: 'errors:themesChoose' });
    const service =
      (await deps.xero.listPaymentServices(merchant.xero)).find((s) => s.url === url) ??
      (await deps.xero.createPaymentService(merchant.xero, { name: PAYMENT_SERVICE_NAME, url, payNowText: 'Pay now' }, `payment-service-${merchant.id}`));
    for (const id of chosen) await deps.xero.applyPaymentService(merchant.xero, id, service.paymentServiceId, `payment-service-${merchant.id}-${id}`);
    await recordChange(deps, actor, merchant.id, 'payment_service_added', { templates: chosen.length });
    return chosen.length;
  } catch (err) {
    if (err instanceof UpstreamError && err.kind === 'unauthorized') throw new FormInvalid({ themes: 'errors:paymentServiceRefused' });
    if (err instanceof UpstreamError) throw new ServiceUnavailable(`Xero: ${err.message}`, err.retryAfterSeconds ?? 30);
    throw err;
  }
}
