import { Router } from 'express';
import { z } from 'zod';
import { paths } from '../../paths.js';
import { email, newPassword } from '../auth/fields.js';
import type { Sessions } from '../session.js';
import { adminErrors, parseForm, render, requireUser, signedIn, withForm, type AdminDeps } from '../web.js';
import * as service from './service.js';

const UserForm = z.object({ email, merchantId: z.uuid({ error: 'errors:merchantChoose' }), password: newPassword });

/** The operators' user list and the form that adds a merchant user. */
export function usersRouter(deps: AdminDeps, sess: Sessions): Router {
  const router = Router();

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

  router.use(adminErrors(deps.logger));
  return router;
}
