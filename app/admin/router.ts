/**
 * /admin: the middleware every admin request passes (form bodies, the session, language and the
 * page's common locals), then each feature's router.
 */
import express, { Router } from 'express';
import { NotFound } from '../errors.js';
import { paths } from '../paths.js';
import { switchLangUrl } from '../lang-switch.js';
import { adminLang } from './i18n/lang.js';
import { sessions } from './session.js';
import { adminErrors, type AdminDeps } from './web.js';
import { merchantZone } from './time-zone.js';
import { authRouter } from './auth/controller.js';
import { usersRouter } from './users/controller.js';
import { paymentsRouter } from './payments/controller.js';
import { merchantsRouter } from './merchants/controller.js';
import { reconciliationRouter } from './reconciliation/controller.js';
import { FEE_REPORT_URL, feeBillsRouter } from './fee-bills/controller.js';
import { DISPUTE_REPORT_URL, disputesRouter } from './disputes/controller.js';
import { reviewRouter } from './review/controller.js';
import { isUuid } from '../security/uuid.js';
import { identityBodiesOnly } from '../security/body-encoding.js';

export function adminRouter(deps: AdminDeps): Router {
  const router = Router();
  const sess = sessions({ stores: deps.stores, clock: deps.clock, publicUrl: deps.publicUrl, production: deps.production });

  // Form bodies up to 16 kB, except Xendit reports' uploads (their routes parse their own). The byte
  // cap bounds the work; the field count allows the settings form with all 80 payment channels
  // ticked and a payment service offered to every branding theme of an organisation. Never
  // compressed (identityBodiesOnly): the caps are on the bytes that arrive.
  const smallForm = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 200, inflate: false });
  const uploads = [FEE_REPORT_URL, DISPUTE_REPORT_URL];
  const forms: express.RequestHandler = (req, res, next) => {
    // The path as routing sees it (an absolute-form request target's too), under this mount.
    const path = req.baseUrl + req.path;
    return uploads.some((u) => u.test(path)) ? next() : smallForm(req, res, next);
  };
  // The error pages need the translations, also for a body the parser refused (too large, too many fields).
  const translations: express.RequestHandler = (_req, res, next) => {
    res.locals.i18n = deps.i18n;
    next();
  };
  router.use(paths.admin, translations, identityBodiesOnly, forms, sess.load, (req, res, next) => {
    res.set('Cache-Control', 'no-store');
    res.locals.xeroOAuthEnabled = Boolean(deps.xeroOAuth);
    const lang = adminLang(req, res);
    res.locals.lang = lang;
    // A form re-shown after a POST has no GET twin at every URL (…/xendit/mode): no switch link there.
    res.locals.langSwitchUrl = req.method === 'GET' ? switchLangUrl(req.originalUrl, lang) : undefined;
    res.locals.xeroAppUrl = deps.xeroAppUrl;
    next();
  });

  // Times are shown in the merchant's Xero organisation's zone on pages about one merchant. Only
  // for a signed-in user: anyone may send /admin/merchants/<any uuid>, and those pages only redirect
  // them to the login, so their merchant is not read for them.
  router.use(paths.admin, async (req, res, next) => {
    const user = res.locals.session?.user as { role: string; merchantId: string | null } | null | undefined;
    if (!user) return next();
    const id = user.role === 'merchant' ? user.merchantId : /^\/merchants\/([^/]+)(\/|$)/.exec(req.path)?.[1];
    if (isUuid(id)) {
      const merchant = await deps.stores.merchants.byId(id);
      if (merchant) res.locals.timeZone = merchantZone(merchant);
    }
    next();
  });

  router.use(authRouter(deps, sess));
  router.use(paymentsRouter(deps, sess));
  router.use(usersRouter(deps, sess));
  router.use(merchantsRouter(deps, sess));
  router.use(feeBillsRouter(deps, sess));
  router.use(disputesRouter(deps, sess));
  router.use(reviewRouter(deps, sess));
  // A report reads Xero page after page in one go (a busy month: dozens of calls), more than the
  // admin's share of a minute allows: it keeps the worker's reads' budget. One run per merchant at a
  // time (report_runs), and its CSV reuses the last run.
  router.use(reconciliationRouter({ ...deps, xero: deps.xero.forPurpose('read') }));
  // Nothing else answers under /admin: its 404 is an admin page too.
  router.use(paths.admin, () => {
    throw new NotFound('no such admin page');
  });
  router.use(adminErrors(deps.logger));
  return router;
}
