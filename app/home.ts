import { Router } from 'express';
import type { Config } from '../config/index.js';
import { chooseLang, translator } from './i18n.js';
import { customPaymentUrl, paths } from './paths.js';

export interface DemoInvoiceRow {
  invoiceNumber: string;
  contactName: string;
  currency: string;
  total: string;
  amountDue: string;
  status: string;
  payLink: string;
}

export interface DemoHome {
  invoices(): Promise<DemoInvoiceRow[]>;
  xeroSimUrl: string;
  /** The simulated Xendit dashboard, where a payment can be started outside Xero. */
  xenditDashboardUrl?: string;
  merchantName: string;
  callbackUrl: string;
  /** The first-run setup link while no operator exists (demo mode shows it on the home page). */
  setupLink?(): Promise<string | undefined>;
}

export function homeRouter(config: Config, demo?: DemoHome): Router {
  const router = Router();
  router.get(paths.home, async (req, res) => {
    const lang = chooseLang(req.query.lang, req.get('accept-language'));
    res.set('Cache-Control', 'no-store');
    res.render('home', {
      lang,
      t: translator(lang),
      title: 'Xendit ⇄ Xero gateway',
      customPaymentUrl: customPaymentUrl(config.publicUrl),
      demo: demo ? { ...demo, rows: await demo.invoices(), setupUrl: await demo.setupLink?.() } : undefined,
      adminUrl: paths.admin,
      langSwitchUrl: undefined,
    });
  });
  return router;
}
