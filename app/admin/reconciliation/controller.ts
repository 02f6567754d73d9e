import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { paths } from '../../paths.js';
import { FormInvalid } from '../../errors.js';
import { rangeErrors } from '../dates.js';
import { todayIn } from '../time-zone.js';
import { recentRange } from '../../report/accounts.js';
import { adminErrors, render, requireUser, signedIn, type AdminDeps } from '../web.js';
import { labelledCsv, merchantReport, type LabelledReport } from './report.js';
import { createReportRuns, ReportBusy } from './runs.js';

const MerchantId = z.uuid({ error: 'errors:merchantChoose' });

/**
 * /admin/report: the form (merchant, from, to) and, once filled in, the report with a CSV link
 * (/admin/report.csv with the same query). Merchant users always get their own merchant.
 */
export function reconciliationRouter(deps: AdminDeps): Router {
  const router = Router();
  const runs = createReportRuns<LabelledReport>({ clock: deps.clock, leases: deps.stores.reportRuns, logger: deps.logger });
  const parse = (req: Request, res: Response) => {
    const user = signedIn(res);
    // A merchant user's own merchant unless the URL names another (which then answers 404).
    const named = typeof req.query.merchant === 'string' ? req.query.merchant : '';
    const raw = { merchant: user.role === 'merchant' ? named || user.merchantId! : named, from: req.query.from, to: req.query.to };
    const range = rangeErrors({ from: raw.from, to: raw.to }, true);
    const errors = { ...range.errors };
    const merchantId = MerchantId.safeParse(raw.merchant);
    if (!merchantId.success) errors.merchant = merchantId.error.issues[0].message;
    const values = { merchant: raw.merchant, from: typeof raw.from === 'string' ? raw.from : '', to: typeof raw.to === 'string' ? raw.to : '' };
    return {
      user,
      errors,
      values,
      query: merchantId.success && !Object.keys(errors).length ? { merchantId: merchantId.data, from: range.from!, to: range.to! } : null,
    };
  };
  const merchantList = async (res: Response) =>
    signedIn(res).role === 'operator' ? (await deps.stores.merchants.list()).map((m) => ({ id: m.id, name: m.name })) : [];

  router.get(paths.adminReport, requireUser, async (req, res) => {
    const p = parse(req, res);
    const submitted = req.query.from !== undefined || req.query.to !== undefined || req.query.merchant !== undefined;
    // "Today" is the merchant's (their Xero organisation's zone), so an evening's payments are in the default range.
    const today = todayIn(deps.clock(), String(res.locals.timeZone ?? 'UTC'));
    const locals = { merchants: await merchantList(res), report: null as unknown, csvUrl: '', values: p.values, errors: {} as Record<string, string> };
    if (!submitted) {
      render(res, 200, 'report', { ...locals, values: { ...p.values, ...recentRange(today) } });
      return;
    }
    if (!p.query) {
      render(res, 400, 'report', { ...locals, errors: p.errors });
      return;
    }
    try {
      const report = await merchantReport(deps, p.user, p.query, runs);
      const csvUrl = `${paths.adminReportCsv}?${new URLSearchParams({ merchant: p.query.merchantId, from: p.query.from, to: p.query.to })}`;
      render(res, 200, 'report', { ...locals, report, csvUrl });
    } catch (err) {
      if (err instanceof ReportBusy) return busy(res, err, locals);
      if (!(err instanceof FormInvalid)) throw err;
      render(res, 422, 'report', { ...locals, errors: err.fields });
    }
  });

  router.get(paths.adminReportCsv, requireUser, async (req, res) => {
    const p = parse(req, res);
    if (!p.query) throw new FormInvalid(p.errors);
    let report: LabelledReport;
    try {
      // The link under the report just shown: that report, not a second round of Xero and Xendit reads.
      report = await merchantReport(deps, p.user, p.query, runs, true);
    } catch (err) {
      if (!(err instanceof ReportBusy)) throw err;
      return busy(res, err, { merchants: await merchantList(res), report: null, csvUrl: '', values: p.values });
    }
    res.type('text/csv; charset=utf-8').attachment(`reconciliation-${p.query.from}-${p.query.to}.csv`).send(labelledCsv(report));
  });

  // The form again, saying a report is on its way: refreshing it later shows the report.
  const busy = (res: Response, err: ReportBusy, locals: Record<string, unknown>) => {
    res.set('Retry-After', String(err.retryAfterSeconds));
    render(res, 429, 'report', { ...locals, errors: { form: { key: 'errors:reportBusy' } } });
  };

  router.use(adminErrors(deps.logger));
  return router;
}
