import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { adminMerchantPath, paths } from '../../paths.js';
import { FormInvalid, StaleForm } from '../../errors.js';
import type { Sessions } from '../session.js';
import { stepUp, adminErrors, parseForm, render, requireUser, signedIn, type AdminDeps } from '../web.js';
import { accountsView, createXenditBankAccount, currentAccounts, saveAccounts } from './accounts.js';
import { merchantFor } from './service.js';
import { storableText } from '../fields.js';

const AccountsForm = z.object({
  clearingAccountId: storableText(200).trim().min(1, { error: 'errors:clearingChoose' }).max(100),
  feeAccountCode: storableText(200).trim().min(1, { error: 'errors:feeAccountChoose' }).max(20),
  salesAccountCode: storableText(20)
    .trim()
    .transform((v) => v || null),
  withholdingAccountCode: storableText(20)
    .trim()
    .transform((v) => v || null),
});
const Currency = z.object({ currency: z.string().regex(/^[A-Z]{3}$/, { error: 'errors:currencyChoose' }) });

/** clearing_USD=<AccountID> fields; an empty value means "use the default clearing account". */
function perCurrency(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body ?? {})) {
    const m = /^clearing_([A-Z]{3})$/.exec(key);
    if (m && typeof value === 'string' && value.trim()) out[m[1]] = value.trim();
  }
  return out;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Step 3 of a merchant's setup: the accounts form, and "Create a Xendit bank account for me". */
export function accountsRouter(deps: AdminDeps, sess: Sessions): Router {
  const router = Router();
  const fresh = stepUp(deps);
  const merchantId = (req: Request) => String(req.params.merchantId);

  const accountsLocals = async (res: Response, id: string) => {
    const merchant = await merchantFor(deps, signedIn(res), id);
    const view = await accountsView(deps, merchant);
    const values = currentAccounts(merchant);
    return { merchant: { id: merchant.id, name: merchant.name, shortCode: merchant.shortCode, status: merchant.status }, view, values };
  };

  router.get(paths.adminMerchantAccounts, requireUser, async (req, res) => {
    render(res, 200, 'merchant-accounts', { ...(await accountsLocals(res, merchantId(req))), saved: req.query.saved === '1', created: str(req.query.created) });
  });

  /** Like withForm, but the page around the form (four Xero calls) is fetched only to show errors. */
  const accountsForm = async (res: Response, id: string, values: Record<string, string> | null, action: () => Promise<void>) => {
    try {
      await action();
    } catch (err) {
      if (!(err instanceof FormInvalid)) throw err;
      const locals = await accountsLocals(res, id);
      // A stale form shows what is stored now (and its version), not what it would have overwritten.
      const shown = err instanceof StaleForm ? locals.values : (values ?? locals.values);
      render(res, err.status, 'merchant-accounts', { ...locals, values: shown, errors: err.fields, saved: false, created: '' });
    }
  };

  router.post(paths.adminMerchantAccounts, requireUser, sess.verifyCsrf, fresh, async (req, res) => {
    const id = merchantId(req);
    const values: Record<string, string> = {
      clearingAccountId: str(req.body.clearingAccountId),
      feeAccountCode: str(req.body.feeAccountCode),
      salesAccountCode: str(req.body.salesAccountCode),
      withholdingAccountCode: str(req.body.withholdingAccountCode),
    };
    if (typeof req.body.version === 'string') values.version = req.body.version;
    const clearingAccounts = perCurrency(req.body);
    for (const [currency, accountId] of Object.entries(clearingAccounts)) values[`clearing_${currency}`] = accountId;
    await merchantFor(deps, signedIn(res), id);
    await accountsForm(res, id, values, async () => {
      const form = parseForm(AccountsForm, values);
      const merchant = await saveAccounts(deps, signedIn(res), id, { ...form, clearingAccounts, version: values.version });
      res.redirect(303, `${adminMerchantPath(merchant.id, 'adminMerchantAccounts')}?saved=1`);
    });
  });

  router.post(
    paths.adminMerchantXenditBank,
    requireUser,
    sess.verifyCsrf,
    stepUp(deps, (req) => adminMerchantPath(String(req.params.merchantId), 'adminMerchantAccounts')),
    async (req, res) => {
      const id = merchantId(req);
      await merchantFor(deps, signedIn(res), id);
      await accountsForm(res, id, null, async () => {
        const { currency } = parseForm(Currency, { currency: str(req.body.currency) });
        const account = await createXenditBankAccount(deps, signedIn(res), id, currency);
        res.redirect(303, `${adminMerchantPath(id, 'adminMerchantAccounts')}?created=${encodeURIComponent(account.name)}`);
      });
    },
  );

  router.use(adminErrors(deps.logger));
  return router;
}
