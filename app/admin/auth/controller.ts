import { Router } from 'express';
import { z } from 'zod';
import { InvalidCredentials } from '../../errors.js';
import { paths } from '../../paths.js';
import { clientOf } from '../../security/client-address.js';
import { currentSession, type Sessions } from '../session.js';
import { email, newPassword } from './fields.js';
import * as service from './service.js';
import { passwordConfirmed, openUserLink, setPasswordByLink } from '../users/service.js';
import { adminErrors, parseForm, render, requireUser, sameSiteAdminPath, signedIn, withForm, type AdminDeps } from '../web.js';

const LoginForm = z.object({ email, password: z.string().min(1, { error: 'errors:passwordMissing' }).max(200) });
const ReauthForm = z.object({ password: z.string().min(1, { error: 'errors:passwordMissing' }).max(200), back: z.string().max(2000).optional() });
const LinkForm = z
  .object({ password: newPassword, confirm: z.string() })
  .refine((f) => f.password === f.confirm, { path: ['confirm'], error: 'errors:passwordsDiffer' });
const SetupForm = z
  .object({ email, password: newPassword, confirm: z.string() })
  .refine((f) => f.password === f.confirm, { path: ['confirm'], error: 'errors:passwordsDiffer' });

/** Sign in, sign out, and the first-run setup of the first operator. */
export function authRouter(deps: AdminDeps, sess: Sessions): Router {
  const router = Router();

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
        const client = clientOf(req);
        const user = await service.login(deps, { email: form.email, password: form.password, ip: client.key, network: client.network });
        await sess.signIn(res, user);
        res.redirect(303, paths.admin);
      } catch (err) {
        if (!(err instanceof InvalidCredentials)) throw err;
        render(res, 401, 'login', { values, errors: { form: 'errors:signInWrong' } });
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

  // Invite and password-reset links: GET shows the form (a mail scanner spends nothing), POST sets the password.
  router.get(paths.adminUserLink, async (req, res) => {
    const link = await openUserLink(deps, String(req.params.token));
    await sess.ensure(res);
    render(res, 200, 'welcome', { token: req.params.token, email: link.email, purpose: link.purpose });
  });

  router.post(paths.adminUserLink, sess.verifyCsrf, async (req, res) => {
    const token = String(req.params.token);
    const link = await openUserLink(deps, token);
    await withForm(res, 'welcome', {}, { token, email: link.email, purpose: link.purpose }, async () => {
      const form = parseForm(LinkForm, req.body);
      const user = await setPasswordByLink(deps, token, form.password);
      await sess.signIn(res, user);
      res.redirect(303, paths.admin);
    });
  });

  // The step-up: the password again, then back to the page the refused change came from.
  router.post(paths.adminReauth, requireUser, sess.verifyCsrf, async (req, res) => {
    const back = sameSiteAdminPath(req.body?.back, deps.publicUrl);
    await withForm(res, 'reauth', {}, { back }, async () => {
      const form = parseForm(ReauthForm, req.body);
      const user = signedIn(res);
      try {
        // Shares the per-(IP, e-mail) count with sign-in, so the step-up is no way around it.
        await service.confirmPassword(deps, { email: user.email, password: form.password, ip: clientOf(req).key });
        await passwordConfirmed(deps, currentSession(res)!.idHash);
      } catch (err) {
        if (!(err instanceof InvalidCredentials)) throw err;
        return render(res, 401, 'reauth', { back, errors: { password: 'errors:passwordWrong' } });
      }
      res.redirect(303, back);
    });
  });

  router.use(adminErrors(deps.logger));
  return router;
}
