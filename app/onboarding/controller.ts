import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { InvalidCredentials, NotFound } from '../errors.js';
import { adminPaymentPath, paths } from '../paths.js';
import { switchLangUrl } from '../pay/controller.js';
import { clientAddress } from '../security/client-address.js';
import { clientKey } from '../security/rate-limit.js';
import { adminLang } from './lang.js';
import { rangeErrors } from './dates.js';
import { reportRoutes } from './report-controller.js';
import { settingsRoutes } from './settings-controller.js';
import { xenditRoutes } from './xendit-controller.js';
import { currentSession, sessions } from './session.js';
import * as service from './service.js';
import { merchantRoutes } from './merchant-controller.js';
import { xeroOAuthRoutes } from './xero-oauth-controller.js';
import { parseForm, render, signedIn, withForm, type AdminDeps } from './web.js';

const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'Enter a valid e-mail address.' }))
  .pipe(z.string().max(254));
const newPassword = z.string().min(12, { error: 'Use at least 12 characters.' }).max(200, { error: 'Use at most 200 characters.' });

const LoginForm = z.object({ email, password: z.string().min(1, { error: 'Enter your password.' }).max(200) });
const SetupForm = z
  .object({ email, password: newPassword, confirm: z.string() })
  .refine((f) => f.password === f.confirm, { path: ['confirm'], error: 'The passwords do not match.' });
const UserForm = z.object({ email, merchantId: z.uuid({ error: 'Choose a merchant from the list.' }), password: newPassword });
const DashboardQuery = z.object({
  state: z.enum(['pending', 'recorded', 'needs_review']).optional().catch(undefined),
  merchant: z.uuid().optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
});
const PaymentId = z.uuid();

export function adminRouter(deps: AdminDeps): Router {
  const router = Router();
  const sess = sessions({ stores: deps.stores, clock: deps.clock, publicUrl: deps.publicUrl, production: deps.production });

  router.use(paths.admin, express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }), sess.load, (req, res, next) => {
    res.set('Cache-Control', 'no-store');
    res.locals.xeroOAuthEnabled = Boolean(deps.xeroOAuth);
    const lang = adminLang(req, res);
    res.locals.lang = lang;
    // A form re-shown after a POST has no GET twin at every URL (…/xendit/mode): no switch link there.
    res.locals.langSwitchUrl = req.method === 'GET' ? switchLangUrl(req.originalUrl, lang) : undefined;
    res.locals.xeroAppUrl = deps.xeroAppUrl;
    next();
  });

  const requireUser = (req: Request, res: Response, next: () => void) => {
    if (currentSession(res)?.user) return next();
    res.redirect(303, paths.adminLogin);
  };

  router.get(paths.adminLogin, async (_req, res) => {
    if (currentSession(res)?.user) return res.redirect(303, paths.admin);
    await sess.ensure(res);
    render(res, 200, 'login', {});
  });

  router.post(paths.adminLogin, sess.verifyCsrf, async (req, res) => {
    const values = { email: typeof req.body.email === 'string' ? req.body.email : '' };
    await withForm(res, 'login', values, {}, async () => {
      const form = parseForm(LoginForm, req.body);
      try {
        const user = await service.login(deps, { email: form.email, password: form.password, ip: clientKey(clientAddress(req)) });
        await sess.signIn(res, user);
        res.redirect(303, paths.admin);
      } catch (err) {
        if (!(err instanceof InvalidCredentials)) throw err;
        render(res, 401, 'login', { values, errors: { form: 'Wrong e-mail or password.' } });
      }
    });
  });

  router.post(paths.adminLogout, sess.verifyCsrf, async (_req, res) => {
    await sess.signOut(res);
    res.redirect(303, paths.adminLogin);
  });

  router.get(paths.adminSetup, async (req, res) => {
    await service.checkSetupLink(deps, String(req.params.token));
    await sess.ensure(res);
    render(res, 200, 'setup', { token: req.params.token });
  });

  router.post(paths.adminSetup, sess.verifyCsrf, async (req, res) => {
    const token = String(req.params.token);
    const values = { email: typeof req.body.email === 'string' ? req.body.email : '' };
    await withForm(res, 'setup', values, { token }, async () => {
      const form = parseForm(SetupForm, req.body);
      const user = await service.completeSetup(deps, { token, email: form.email, password: form.password });
      await sess.signIn(res, user);
      res.redirect(303, paths.admin);
    });
  });

  router.get(paths.admin, requireUser, async (req, res) => {
    const user = signedIn(res);
    const q = DashboardQuery.parse(req.query);
    // A bad date is shown next to its field (400) and that bound is not applied.
    const range = rangeErrors({ from: q.from, to: q.to });
    const from = range.errors.from ? undefined : range.from;
    const to = range.errors.to ? undefined : range.to;
    const view = await service.dashboard(deps, user, { state: q.state, merchantId: q.merchant, page: q.page, from, to });
    const pageUrl = (page: number) => {
      const p = new URLSearchParams();
      if (q.state) p.set('state', q.state);
      if (user.role === 'operator' && q.merchant) p.set('merchant', q.merchant);
      if (from) p.set('from', from);
      if (to) p.set('to', to);
      if (page > 1) p.set('page', String(page));
      const s = p.toString();
      return paths.admin + (s ? `?${s}` : '');
    };
    render(res, Object.keys(range.errors).length ? 400 : 200, 'dashboard', {
      ...view,
      errors: range.errors,
      values: { from: typeof q.from === 'string' ? q.from : '', to: typeof q.to === 'string' ? q.to : '' },
      filter: { state: q.state ?? '', merchant: user.role === 'operator' ? (q.merchant ?? '') : '', from: from ?? '', to: to ?? '' },
      page: q.page,
      prevUrl: q.page > 1 ? pageUrl(q.page - 1) : null,
      nextUrl: view.hasMore ? pageUrl(q.page + 1) : null,
    });
  });

  router.get(paths.adminPayment, requireUser, async (req, res) => {
    const id = PaymentId.safeParse(req.params.paymentId);
    if (!id.success) throw new NotFound('malformed payment id');
    const detail = await service.paymentDetail(deps, signedIn(res), id.data);
    render(res, 200, 'payment', { ...detail, retried: req.query.retried === '1' });
  });

  router.post(paths.adminPaymentRetry, requireUser, sess.verifyCsrf, async (req, res) => {
    const id = PaymentId.safeParse(req.params.paymentId);
    if (!id.success) throw new NotFound('malformed payment id');
    await service.retryPayment(deps, signedIn(res), id.data);
    res.redirect(303, `${adminPaymentPath(id.data)}?retried=1`);
  });

  router.get(paths.adminUsers, requireUser, async (req, res) => {
    render(res, 200, 'users', { ...(await service.listUsers(deps, signedIn(res))), created: req.query.created === '1' });
  });

  router.post(paths.adminUsers, requireUser, sess.verifyCsrf, async (req, res) => {
    const user = signedIn(res);
    const listing = await service.listUsers(deps, user);
    const values = {
      email: typeof req.body.email === 'string' ? req.body.email : '',
      merchantId: typeof req.body.merchantId === 'string' ? req.body.merchantId : '',
    };
    await withForm(res, 'users', values, listing, async () => {
      const form = parseForm(UserForm, req.body);
      await service.createMerchantUser(deps, user, form);
      res.redirect(303, `${paths.adminUsers}?created=1`);
    });
  });

  merchantRoutes(router, deps, sess, requireUser);
  xeroOAuthRoutes(router, deps, sess, requireUser);
  xenditRoutes(router, deps, sess, requireUser);
  settingsRoutes(router, deps, sess, requireUser);
  reportRoutes(router, deps, requireUser);
  return router;
}
