import { Router, type Response } from 'express';
import { z } from 'zod';
import { adminMerchantPath, callbackPathFor, disputeCallbackPathFor, refundCallbackPathFor, paths } from '../../paths.js';
import { FormInvalid } from '../../errors.js';
import type { Sessions } from '../session.js';
import { stepUp, adminErrors, parseForm, render, requireUser, signedIn, withForm, type AdminDeps } from '../web.js';
import { masked, merchantFor } from './service.js';
import { saveXenditKeys, switchXenditMode } from './xendit-keys.js';
import { callbackTokenField, xenditKeyField } from './credential-fields.js';

const KeysForm = z.object({
  testKey: xenditKeyField('test'),
  liveKey: xenditKeyField('live'),
  callbackToken: callbackTokenField,
});
const ModeForm = z.object({ mode: z.enum(['test', 'live'], { error: 'errors:modeChoose' }) });

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** The Xendit step of a merchant's setup: both secret keys, the callback token, the active mode. */
export function xenditRouter(deps: AdminDeps, sess: Sessions): Router {
  const router = Router();
  const fresh = stepUp(deps);
  const locals = async (res: Response, id: string) => {
    const merchant = await merchantFor(deps, signedIn(res), id);
    const activity = await deps.stores.merchants.activity(merchant.id);
    return {
      merchant: { id: merchant.id, name: merchant.name, shortCode: merchant.shortCode, mode: merchant.mode, status: merchant.status },
      // Never the keys themselves: their last four characters, to tell which one is stored.
      keys: { test: masked(merchant.xenditKeys.test), live: masked(merchant.xenditKeys.live) },
      inUse: merchant.xenditSecretKey !== '',
      hasToken: merchant.callbackToken !== '',
      callbackUrl: deps.publicUrl + callbackPathFor(merchant.id),
      refundWebhookUrl: deps.publicUrl + refundCallbackPathFor(merchant.id),
      disputeWebhookUrl: deps.publicUrl + disputeCallbackPathFor(merchant.id),
      lastCallbackAt: activity.lastCallbackAt,
      saved: false,
      switched: false,
    };
  };
  const page = (id: string) => adminMerchantPath(id, 'adminMerchantXendit');

  router.get(paths.adminMerchantXendit, requireUser, async (req, res) => {
    const l = await locals(res, String(req.params.merchantId));
    render(res, 200, 'merchant-xendit', { ...l, saved: req.query.saved === '1', switched: req.query.switched === '1' });
  });

  router.post(paths.adminMerchantXendit, requireUser, sess.verifyCsrf, fresh, async (req, res) => {
    const l = await locals(res, String(req.params.merchantId));
    await withForm(res, 'merchant-xendit', {}, l, async () => {
      const sent = { testKey: str(req.body.testKey), liveKey: str(req.body.liveKey), callbackToken: str(req.body.callbackToken) };
      // The token is required only while none is stored: say so along with any key error.
      const missingToken: Record<string, string> = !l.hasToken && !sent.callbackToken.trim() ? { callbackToken: 'errors:callbackTokenMissing' } : {};
      let form: z.infer<typeof KeysForm>;
      try {
        form = parseForm(KeysForm, sent);
      } catch (err) {
        if (err instanceof FormInvalid) throw new FormInvalid({ ...missingToken, ...err.fields });
        throw err;
      }
      await saveXenditKeys(deps, signedIn(res), l.merchant.id, { ...form, otherBusinessConfirmed: req.body.otherBusiness === 'confirmed' });
      res.redirect(303, `${page(l.merchant.id)}?saved=1`);
    });
  });

  router.post(
    paths.adminMerchantXenditMode,
    requireUser,
    sess.verifyCsrf,
    stepUp(deps, (req) => page(String(req.params.merchantId))),
    async (req, res) => {
      const l = await locals(res, String(req.params.merchantId));
      await withForm(res, 'merchant-xendit', {}, l, async () => {
        const { mode } = parseForm(ModeForm, { mode: str(req.body.mode) });
        await switchXenditMode(deps, signedIn(res), l.merchant.id, mode);
        res.redirect(303, `${page(l.merchant.id)}?switched=1`);
      });
    },
  );

  router.use(adminErrors(deps.logger));
  return router;
}
