import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { adminMerchantPath, paths } from '../../paths.js';
import { FormInvalid, NotFound } from '../../errors.js';
import type { Sessions } from '../session.js';
import { adminErrors, parseForm, render, requireUser, signedIn, stepUp, withForm, type AdminDeps } from '../web.js';
import { accountsRouter } from './accounts-controller.js';
import { goLive } from './go-live.js';
import { addPaymentService } from './payment-service.js';
import { connectXero } from './service.js';
import { settingsRouter } from './settings-controller.js';
import { xenditRouter } from './xendit-controller.js';
import { xeroConnectRouter } from './xero-connect-controller.js';
import { xeroClientIdField, xeroClientSecretField } from './credential-fields.js';

const XeroForm = z.object({ clientId: xeroClientIdField, clientSecret: xeroClientSecretField });

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * /admin/merchants: the list and a new merchant from a Xero Custom Connection, the go-live page,
 * and each setup step's own router (Connect to Xero, Xendit keys, accounts, settings).
 */
export function merchantsRouter(deps: AdminDeps, sess: Sessions): Router {
  const router = Router();
  const merchantId = (req: Request) => String(req.params.merchantId);
  const operatorOnly = (res: Response) => {
    const user = signedIn(res);
    if (user.role !== 'operator') throw new NotFound('only operators connect new merchants');
    return user;
  };
  const merchantsList = async () =>
    (await deps.stores.merchants.list()).map((m) => ({
      id: m.id,
      name: m.name,
      shortCode: m.shortCode,
      status: m.status,
      mode: m.mode,
      xeroDisconnected: m.xeroDisconnected !== null,
    }));

  router.get(paths.adminMerchantNew, requireUser, async (_req, res) => {
    operatorOnly(res);
    render(res, 200, 'merchant-new', { merchants: await merchantsList() });
  });

  // A new merchant's Xero connection and the payment service added to its invoices: changes of where money goes.
  const fresh = stepUp(deps);
  router.post(paths.adminMerchantNew, requireUser, sess.verifyCsrf, fresh, async (req, res) => {
    const user = operatorOnly(res);
    const values = { clientId: str(req.body.clientId) };
    await withForm(res, 'merchant-new', values, { merchants: await merchantsList() }, async () => {
      const form = parseForm(XeroForm, { clientId: str(req.body.clientId), clientSecret: str(req.body.clientSecret) });
      const merchant = await connectXero(deps, user, form);
      res.redirect(303, adminMerchantPath(merchant.id, 'adminMerchantXendit'));
    });
  });

  // Xero lets only apps with the paymentservices scope add a payment service (payment-service.ts).
  const goLiveDeps = { ...deps, paymentServicesScope: deps.xeroOAuth?.scopes.includes('paymentservices') ?? false };

  router.get(paths.adminMerchant, requireUser, async (req, res) => {
    const view = await goLive(goLiveDeps, signedIn(res), merchantId(req));
    const added = Number.parseInt(String(req.query.added ?? ''), 10);
    render(res, 200, 'merchant-golive', { ...view, addedTo: Number.isSafeInteger(added) && added > 0 ? added : 0 });
  });

  const fromGoLive = stepUp(deps, (req) => adminMerchantPath(merchantId(req)));
  router.post(paths.adminMerchantPaymentService, requireUser, sess.verifyCsrf, fromGoLive, async (req, res) => {
    const user = signedIn(res);
    const raw = (req.body as Record<string, unknown> | undefined)?.themes;
    const themes = (Array.isArray(raw) ? raw : [raw]).filter((t): t is string => typeof t === 'string' && t.length <= 100);
    try {
      const n = await addPaymentService(goLiveDeps, user, merchantId(req), themes);
      res.redirect(303, `${adminMerchantPath(merchantId(req))}?added=${n}`);
    } catch (err) {
      if (!(err instanceof FormInvalid)) throw err;
      render(res, err.status, 'merchant-golive', { ...(await goLive(goLiveDeps, user, merchantId(req))), addedTo: 0, errors: err.fields });
    }
  });

  router.use(accountsRouter(deps, sess));
  router.use(xeroConnectRouter(deps, sess));
  router.use(xenditRouter(deps, sess));
  router.use(settingsRouter(deps, sess));
  router.use(adminErrors(deps.logger));
  return router;
}
