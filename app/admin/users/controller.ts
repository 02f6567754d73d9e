import { Router, type Response } from 'express';
import { z } from 'zod';
import { paths } from '../../paths.js';
import { clientOf } from '../../security/client-address.js';
import { email, newPassword } from '../auth/fields.js';
import { currentSession, type Sessions } from '../session.js';
import { adminErrors, parseForm, render, requireUser, signedIn, stepUp, withForm, type AdminDeps } from '../web.js';
import { merchantFor } from '../merchants/service.js';
import * as service from './service.js';

const InviteForm = z.object({
  email,
  merchantId: z.uuid({ error: 'errors:merchantChoose' }),
  merchantRole: z.enum(['owner', 'staff'], { error: 'errors:roleChoose' }),
});
const PasswordForm = z
  .object({ current: z.string().min(1, { error: 'errors:passwordMissing' }).max(200), password: newPassword, confirm: z.string() })
  .refine((f) => f.password === f.confirm, { path: ['confirm'], error: 'errors:passwordsDiffer' });
const Disable = z.object({ confirm: z.literal('yes', { error: 'errors:confirmDisable' }) });

/** Users (operators: all; owners: their merchant's), one's own password, and a merchant's audit log. */
export function usersRouter(deps: AdminDeps, sess: Sessions): Router {
  const router = Router();
  const fresh = stepUp(deps);
  // The list's row buttons post to each user's URL; the step-up returns to the list.
  const fromUsers = stepUp(deps, () => paths.adminUsers);

  router.get(paths.adminUsers, requireUser, async (_req, res) => {
    render(res, 200, 'users', await service.listUsers(deps, signedIn(res)));
  });

  // The invite link is shown once, on the page that answers the form; only its hash is stored.
  router.post(paths.adminUsers, requireUser, sess.verifyCsrf, fresh, async (req, res) => {
    const user = signedIn(res);
    const listing = await service.listUsers(deps, user);
    const values = {
      email: typeof req.body.email === 'string' ? req.body.email : '',
      merchantId: typeof req.body.merchantId === 'string' ? req.body.merchantId : '',
      merchantRole: typeof req.body.merchantRole === 'string' ? req.body.merchantRole : '',
    };
    await withForm(res, 'users', values, listing, async () => {
      const form = parseForm(InviteForm, req.body);
      const link = await service.inviteUser(deps, user, form);
      render(res, 200, 'users', { ...(await service.listUsers(deps, user)), shownLink: { url: link, email: form.email, purpose: 'invite' } });
    });
  });

  router.post(paths.adminUserDisable, requireUser, sess.verifyCsrf, fromUsers, async (req, res) => {
    const user = signedIn(res);
    const listing = await service.listUsers(deps, user);
    await withForm(res, 'users', {}, listing, async () => {
      parseForm(Disable, req.body);
      const gone = await service.disableUser(deps, user, String(req.params.userId));
      render(res, 200, 'users', { ...(await service.listUsers(deps, user)), disabledEmail: gone.email });
    });
  });

  router.post(paths.adminUserPasswordLink, requireUser, sess.verifyCsrf, fromUsers, async (req, res) => {
    const user = signedIn(res);
    const { user: target, url } = await service.passwordLink(deps, user, String(req.params.userId));
    render(res, 200, 'users', { ...(await service.listUsers(deps, user)), shownLink: { url, email: target.email, purpose: 'reset' } });
  });

  const alertsOf = async (res: Response) => ({ alertsOn: !(await deps.stores.alerts.optedOut(signedIn(res).id)) });

  router.get(paths.adminAccount, requireUser, async (_req, res) => render(res, 200, 'account', await alertsOf(res)));

  router.post(paths.adminAccount, requireUser, sess.verifyCsrf, async (req, res) => {
    await withForm(res, 'account', {}, await alertsOf(res), async () => {
      const form = parseForm(PasswordForm, req.body);
      const ip = clientOf(req).key;
      await service.changeOwnPassword(deps, signedIn(res), currentSession(res)!.idHash, { current: form.current, next: form.password, ip });
      render(res, 200, 'account', { ...(await alertsOf(res)), changed: true });
    });
  });

  // One's own alert e-mails on or off: a checkbox, so an unticked box sends no field at all.
  router.post(paths.adminAccountAlerts, requireUser, sess.verifyCsrf, async (req, res) => {
    const on = (req.body as Record<string, unknown> | undefined)?.alerts === 'on';
    await deps.stores.alerts.setOptOut(signedIn(res).id, !on);
    render(res, 200, 'account', { alertsOn: on, alertsSaved: true });
  });

  router.get(paths.adminMerchantAudit, requireUser, async (req, res) => {
    const merchant = await merchantFor(deps, signedIn(res), String(req.params.merchantId));
    render(res, 200, 'audit', {
      merchant: { id: merchant.id, name: merchant.name, status: merchant.status },
      entries: await deps.stores.audit.forMerchant(merchant.id),
    });
  });

  router.use(adminErrors(deps.logger));
  return router;
}
