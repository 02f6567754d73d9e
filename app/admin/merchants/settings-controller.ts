import { Router } from 'express';
import { adminMerchantPath, paths } from '../../paths.js';
import type { Merchant } from '../../store/merchants.js';
import { FormInvalid, StaleForm } from '../../errors.js';
import type { Sessions } from '../session.js';
import { stepUp, adminErrors, render, requireUser, signedIn, type AdminDeps } from '../web.js';
import { merchantFor } from './service.js';
import { CHANNELS } from '../../clients/xendit/channels.js';
import { MERCHANT_SETTINGS, currentSettings, otherMovementsView, saveSettings, salesTaxView, testOrganisationLocked } from './settings.js';
import type { User } from '../../store/users.js';
import { saveSettlementAccounts, settlementView } from './settlement.js';

/** Per-merchant switches (operators, and the merchant's own users). */
export function settingsRouter(deps: AdminDeps, sess: Sessions): Router {
  const router = Router();
  const fresh = stepUp(deps);
  // The tax rates come from Xero: read for the page, and on a POST only when the form is shown again.
  const locals = async (m: Merchant, actor: User) => ({
    merchant: { id: m.id, name: m.name, shortCode: m.shortCode, status: m.status },
    settings: MERCHANT_SETTINGS,
    channels: CHANNELS,
    values: currentSettings(m),
    salesTax: { ...(await salesTaxView(deps, m)), stored: m.salesTaxType },
    otherMovements: await otherMovementsView(deps, m),
    testOrganisationLocked: await testOrganisationLocked(deps, actor, m),
    settlement: await settlementView(deps, m),
    settlementValues: null as Record<string, string> | null,
    destinationValues: null as Record<string, unknown> | null,
    saved: false,
  });

  router.get(paths.adminMerchantSettings, requireUser, async (req, res) => {
    const m = await merchantFor(deps, signedIn(res), String(req.params.merchantId));
    render(res, 200, 'merchant-settings', { ...(await locals(m, signedIn(res))), saved: req.query.saved === '1' });
  });

  router.post(paths.adminMerchantSettings, requireUser, sess.verifyCsrf, fresh, async (req, res) => {
    const m = await merchantFor(deps, signedIn(res), String(req.params.merchantId));
    const field = (key: string) => (typeof req.body[key] === 'string' ? req.body[key] : undefined);
    const sent: Record<string, string | undefined> = {
      ...Object.fromEntries(MERCHANT_SETTINGS.map((s) => [s.key, field(s.key) ?? ''])),
      salesTaxType: field('salesTaxType'),
      otherMovementsAccount: field('otherMovementsAccount'),
      version: field('version'),
    };
    const methods = req.body.paymentMethods as unknown;
    try {
      await saveSettings(deps, signedIn(res), m.id, { ...sent, paymentMethods: methods });
      res.redirect(303, `${adminMerchantPath(m.id, 'adminMerchantSettings')}?saved=1`);
    } catch (err) {
      if (!(err instanceof FormInvalid)) throw err;
      if (err instanceof StaleForm) {
        // What is stored now, with its version: the user sees the other change and may save on top of it.
        const now = await merchantFor(deps, signedIn(res), m.id);
        render(res, err.status, 'merchant-settings', { ...(await locals(now, signedIn(res))), errors: err.fields });
        return;
      }
      render(res, err.status, 'merchant-settings', {
        ...(await locals(m, signedIn(res))),
        values: {
          ...sent,
          salesTaxType: sent.salesTaxType ?? '',
          otherMovementsAccount: sent.otherMovementsAccount ?? '',
          paymentMethods: (Array.isArray(methods) ? methods : [methods]).filter((x) => typeof x === 'string').join(','),
        },
        errors: err.fields,
      });
    }
  });

  // The settlement bank accounts: a form of their own on the settings page (a Xero-backed list, like the sales tax).
  router.post(
    paths.adminMerchantSettlement,
    requireUser,
    sess.verifyCsrf,
    stepUp(deps, (req) => adminMerchantPath(String(req.params.merchantId), 'adminMerchantSettings')),
    async (req, res) => {
      const m = await merchantFor(deps, signedIn(res), String(req.params.merchantId));
      const sent: Record<string, string> = {};
      // Every dest_ field to the service, whatever it holds: one it cannot read is refused, not dropped.
      const destinations: Record<string, unknown> = {};
      for (const [key, value] of Object.entries((req.body ?? {}) as Record<string, unknown>)) {
        const match = /^settlement_([A-Z]{3})$/.exec(key);
        if (match && typeof value === 'string') sent[match[1]] = value.trim();
        else if (key.startsWith('dest_')) destinations[key] = typeof value === 'string' ? value.trim() : value;
      }
      const version = typeof req.body?.version === 'string' ? (req.body.version as string) : undefined;
      try {
        await saveSettlementAccounts(deps, signedIn(res), m.id, sent, version, destinations);
        res.redirect(303, `${adminMerchantPath(m.id, 'adminMerchantSettings')}?saved=1`);
      } catch (err) {
        if (!(err instanceof FormInvalid)) throw err;
        // A stale form shows what is stored now (and its version), not what it would have overwritten.
        const stale = err instanceof StaleForm;
        render(res, err.status, 'merchant-settings', {
          ...(await locals(m, signedIn(res))),
          settlementValues: stale ? null : sent,
          destinationValues: stale ? null : destinations,
          errors: err.fields,
        });
      }
    },
  );

  router.use(adminErrors(deps.logger));
  return router;
}
