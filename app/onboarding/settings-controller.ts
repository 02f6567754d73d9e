import type { Request, Response, Router } from 'express';
import { adminMerchantPath, paths } from '../paths.js';
import type { Sessions } from './session.js';
import type { AdminDeps } from './controller.js';
import { render, signedIn, withForm } from './controller.js';
import { merchantFor } from './merchants.js';
import { MERCHANT_SETTINGS, currentSettings, saveSettings } from './settings.js';

/** Per-merchant switches (operators, and the merchant's own users). */
export function settingsRoutes(router: Router, deps: AdminDeps, sess: Sessions, requireUser: (req: Request, res: Response, next: () => void) => void): void {
  const locals = async (res: Response, id: string) => {
    const m = await merchantFor(deps, signedIn(res), id);
    return { merchant: { id: m.id, name: m.name, shortCode: m.shortCode, status: m.status }, settings: MERCHANT_SETTINGS, values: currentSettings(m), saved: false };
  };

  router.get(paths.adminMerchantSettings, requireUser, async (req, res) => {
    render(res, 200, 'merchant-settings', { ...(await locals(res, String(req.params.merchantId))), saved: req.query.saved === '1' });
  });

  router.post(paths.adminMerchantSettings, requireUser, sess.verifyCsrf, async (req, res) => {
    const l = await locals(res, String(req.params.merchantId));
    const sent = Object.fromEntries(MERCHANT_SETTINGS.map((s) => [s.key, typeof req.body[s.key] === 'string' ? req.body[s.key] : '']));
    await withForm(res, 'merchant-settings', sent, l, async () => {
      await saveSettings(deps, signedIn(res), l.merchant.id, sent);
      res.redirect(303, `${adminMerchantPath(l.merchant.id, 'adminMerchantSettings')}?saved=1`);
    });
  });
}
