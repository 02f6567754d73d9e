/**
 * Payment services and branding themes (xero_accounting.yaml: PaymentServices, BrandingThemes,
 * /BrandingThemes/{BrandingThemeID}/PaymentServices). Xero lets only apps with the
 * `paymentservices` scope (granted to Xero partners, developer.xero.com/documentation/guides/oauth2/
 * scopes) use the payment service endpoints; scopes.ts refuses the others with 401.
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { validationError, notFound } from './errors.js';
import { asArray, envelope, org } from './http.js';
import type { SimBrandingTheme, SimOrganisation, SimPaymentService } from './state.js';

/** Every organisation starts with Xero's "Standard" theme; the simulator adds one more. */
export function seedThemes(): SimBrandingTheme[] {
  return [
    { brandingThemeId: randomUUID(), name: 'Standard', sortOrder: 0 },
    { brandingThemeId: randomUUID(), name: 'Special projects', sortOrder: 1 },
  ];
}

/** Older saved organisations (the demo's state) have none yet. */
function themesOf(o: SimOrganisation): SimBrandingTheme[] {
  o.brandingThemes ??= seedThemes();
  return o.brandingThemes;
}

const servicesOf = (o: SimOrganisation) => (o.paymentServices ??= []);

const serviceJson = (s: SimPaymentService) => ({
  PaymentServiceID: s.paymentServiceId,
  PaymentServiceName: s.name,
  PaymentServiceUrl: s.url,
  PayNowText: s.payNowText,
  PaymentServiceType: 'Custom',
});

export function paymentServiceRoutes(router: Router, api: (path: string) => string, now: () => Date): void {
  router.get(api('/PaymentServices'), (_req, res) => {
    res.json(envelope(now(), { PaymentServices: servicesOf(org(res)).map(serviceJson) }));
  });
  router.put(api('/PaymentServices'), (req: Request, res: Response) => {
    const created: SimPaymentService[] = [];
    for (const raw of asArray(req.body, 'PaymentServices')) {
      const name = typeof raw.PaymentServiceName === 'string' ? raw.PaymentServiceName.trim() : '';
      const url = typeof raw.PaymentServiceUrl === 'string' ? raw.PaymentServiceUrl.trim() : '';
      if (!name || !url) return validationError(res, ['PaymentServiceName and PaymentServiceUrl are required'], raw);
      created.push({ paymentServiceId: randomUUID(), name, url, payNowText: typeof raw.PayNowText === 'string' ? raw.PayNowText : 'Pay Now' });
    }
    servicesOf(org(res)).push(...created);
    res.json(envelope(now(), { PaymentServices: created.map(serviceJson) }));
  });
  router.get(api('/BrandingThemes'), (_req, res) => {
    const themes = themesOf(org(res)).map((t) => ({ BrandingThemeID: t.brandingThemeId, Name: t.name, Type: 'INVOICE', SortOrder: t.sortOrder }));
    res.json(envelope(now(), { BrandingThemes: themes }));
  });
  for (const method of ['put', 'post'] as const) {
    router[method](api('/BrandingThemes/:id/PaymentServices'), (req: Request, res: Response) => {
      const o = org(res);
      const theme = themesOf(o).find((t) => t.brandingThemeId === String(req.params.id));
      if (!theme) return notFound(res);
      const [first] = asArray(req.body, 'PaymentServices');
      const service = servicesOf(o).find((s) => s.paymentServiceId === first?.PaymentServiceID);
      if (!service) return validationError(res, ['PaymentServiceID is not a payment service of this organisation'], first ?? {});
      theme.paymentServiceId = service.paymentServiceId;
      res.json(envelope(now(), { PaymentServices: [serviceJson(service)] }));
    });
  }
}

/** What tests and the simulated Xero's pages see: each theme with the name of its payment service. */
export function themesWithServices(o: SimOrganisation): { name: string; paymentService?: string }[] {
  return themesOf(o).map((t) => ({
    name: t.name,
    ...(t.paymentServiceId ? { paymentService: servicesOf(o).find((s) => s.paymentServiceId === t.paymentServiceId)?.name } : {}),
  }));
}
