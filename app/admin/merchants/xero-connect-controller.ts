import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { adminMerchantPath, paths } from '../../paths.js';
import { NotFound } from '../../errors.js';
import type { XeroOAuth } from '../../clients/xero/types.js';
import { currentSession, type Sessions } from '../session.js';
import { stepUp, adminErrors, render, requireUser, signedIn, type AdminDeps } from '../web.js';
import { disconnectXero, finishCallback, pickOrganisation, startConnect, XeroConnectProblem, type CallbackResult } from './xero-connect.js';
import { openConnectLink, startLinkConnect } from './connect-link.js';
import { storableText } from '../fields.js';

const Connect = z.object({ merchantId: z.union([z.uuid(), z.literal('')]).default('') });
const Pick = z.object({ pick: z.string().regex(/^[\w-]{43}$/), tenantId: storableText(100).min(1) });

/** Only single string values of the callback's query (Xero sends code, scope, state, or error). */
function callbackQuery(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['code', 'scope', 'state', 'session_state', 'error', 'error_description']) {
    const v = req.query[key];
    if (typeof v === 'string' && v.length <= 4096) out[key] = v;
  }
  return out;
}

/** "Connect to Xero" (OAuth 2.0): start, Xero's answer, choosing an organisation, disconnecting. */
export function xeroConnectRouter(deps: AdminDeps, sess: Sessions): Router {
  const router = Router();
  const oauth = (): XeroOAuth => {
    if (!deps.xeroOAuth) throw new NotFound('Connect to Xero (OAuth) is not configured');
    return deps.xeroOAuth;
  };
  const svc = () => ({ stores: deps.stores, xeroOAuth: oauth(), clock: deps.clock, logger: deps.logger });
  const sessionHash = (res: Response) => currentSession(res)!.idHash;
  /** Xero's answer and the organisation choice come back to a signed-in user or to a connect link's browser (its anonymous session). */
  const anySession = (_req: Request, res: Response, next: () => void) => (currentSession(res) ? next() : res.redirect(303, paths.adminLogin));
  const actor = (res: Response) => currentSession(res)?.user ?? null;

  /** A refusal is a page that says why (4xx), never a stack trace; nothing was saved. */
  const friendly = async (res: Response, action: () => Promise<void>) => {
    try {
      await action();
    } catch (err) {
      if (!(err instanceof XeroConnectProblem)) throw err;
      deps.logger.info({ reason: err.reason }, 'xero connect refused');
      render(res, err.status, 'xero-problem', { reason: err.reason });
    }
  };

  const after = (res: Response, result: CallbackResult) => {
    if (result.kind === 'pick') return render(res, 200, 'xero-pick', { pick: result.pickToken, tenants: result.tenants });
    if (result.viaLink) return render(res, 200, 'connect-link-done', { organisation: result.organisation });
    const next = result.reconnected
      ? `${adminMerchantPath(result.merchantId)}?xero=reconnected`
      : `${adminMerchantPath(result.merchantId, 'adminMerchantXendit')}?xero=connected`;
    res.redirect(303, next);
  };

  // The step-up guards the start: Xero's answer and the organisation choice complete only a state
  // this session and user started here (single use, ten minutes), so a stolen session cookie alone
  // cannot bind a merchant to another organisation. The form is on the merchant's page (reconnect)
  // or the new-merchant page.
  const connectPage = (req: Request) => {
    const form = Connect.safeParse(req.body ?? {});
    return form.success && form.data.merchantId ? adminMerchantPath(form.data.merchantId) : paths.adminMerchantNew;
  };
  router.post(paths.adminXeroConnect, requireUser, sess.verifyCsrf, stepUp(deps, connectPage), async (req, res) => {
    const form = Connect.safeParse(req.body ?? {});
    if (!form.success) throw new NotFound('malformed merchant id');
    const url = await startConnect(svc(), signedIn(res), sessionHash(res), form.data.merchantId || null);
    res.redirect(303, url);
  });

  router.get(paths.adminXeroCallback, anySession, async (req, res) => {
    await friendly(res, async () => after(res, await finishCallback(svc(), actor(res), sessionHash(res), callbackQuery(req))));
  });

  router.post(paths.adminXeroOrganisation, anySession, sess.verifyCsrf, async (req, res) => {
    await friendly(res, async () => {
      const form = Pick.safeParse(req.body ?? {});
      if (!form.success) throw new XeroConnectProblem('errors:orgChoose', 422);
      after(res, await pickOrganisation(svc(), actor(res), sessionHash(res), form.data.pick, form.data.tenantId));
    });
  });

  // A connect link (merchants add without Xero credentials): GET only shows whose link it is.
  router.get(paths.adminConnectLink, async (req, res) => {
    await friendly(res, async () => {
      const merchant = await openConnectLink(svc(), String(req.params.token));
      await sess.ensure(res);
      render(res, 200, 'connect-link', { merchantName: merchant.name, token: req.params.token });
    });
  });

  router.post(paths.adminConnectLink, sess.verifyCsrf, async (req, res) => {
    await friendly(res, async () => res.redirect(303, await startLinkConnect(svc(), String(req.params.token), sessionHash(res))));
  });

  router.post(
    paths.adminMerchantXeroDisconnect,
    requireUser,
    sess.verifyCsrf,
    stepUp(deps, (req) => adminMerchantPath(String(req.params.merchantId))),
    async (req, res) => {
      const id = String(req.params.merchantId);
      await friendly(res, async () => {
        await disconnectXero(svc(), signedIn(res), id, req.body?.confirm === 'yes');
        res.redirect(303, `${adminMerchantPath(id)}?xero=disconnected`);
      });
    },
  );

  router.use(adminErrors(deps.logger));
  return router;
}
