import express, { Router } from 'express';
import type { Config } from '../config/index.js';
import { chooseLang, type I18n } from './i18n/index.js';
import { customPaymentUrl, paths } from './paths.js';
import type { Sessions } from './admin/session.js';

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
  /** The outbox simulator: the alert e-mails the demo sent. */
  outboxUrl?: string;
  merchantName: string;
  /** A function: "reset demo" makes the demo merchant anew, under a new id. */
  callbackUrl(): string;
  /** The first-run setup link while no operator exists (demo mode shows it on the home page). */
  setupLink?(): Promise<string | undefined>;
  /** "Reset demo": starts over with freshly seeded simulators. */
  reset?(): Promise<void>;
}

export const DEMO_RESET_PATH = '/demo/reset';

export function homeRouter(config: Config, demo: DemoHome | undefined, sess: Sessions, i18n: I18n): Router {
  const router = Router();
  router.get(paths.home, ...(demo ? [sess.load] : []), async (req, res) => {
    const lang = chooseLang(req.query.lang, req.get('accept-language'));
    res.set('Cache-Control', 'no-store');
    // The reset form needs a CSRF token, hence a session even before anyone signs in.
    const csrfToken = demo?.reset ? (await sess.ensure(res)).csrfToken : '';
    res.render('home', {
      lang,
      t: i18n.fixed(lang, 'pay'),
      title: 'Xendit ⇄ Xero gateway',
      customPaymentUrl: customPaymentUrl(config.publicUrl),
      demo: demo
        ? {
            ...demo,
            callbackUrl: demo.callbackUrl(),
            rows: await demo.invoices(),
            setupUrl: await demo.setupLink?.(),
            resetUrl: demo.reset ? DEMO_RESET_PATH : undefined,
            csrfToken,
          }
        : undefined,
      adminUrl: paths.admin,
      langSwitchUrl: undefined,
    });
  });
  if (demo?.reset) {
    const reset = demo.reset;
    router.post(DEMO_RESET_PATH, express.urlencoded({ extended: false, limit: '4kb', inflate: false }), sess.load, sess.verifyCsrf, async (_req, res) => {
      await reset();
      res.redirect(303, paths.home);
    });
  }
  return router;
}
