import { Router } from 'express';
import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { FormInvalid, NotFound } from '../../errors.js';
import { csvLines } from '../../report/output.js';
import { adminPaymentPath, paths } from '../../paths.js';
import { toDecimal } from '../../money.js';
import { REFUND_REASONS } from '../../clients/xendit/types.js';
import { refundSupport } from '../../clients/xendit/refund-support.js';
import { rangeErrors } from '../dates.js';
import type { Sessions } from '../session.js';
import { adminErrors, render, requireUser, signedIn, stepUp, type AdminDeps } from '../web.js';
import { mayRefund, requestRefund } from './refund.js';
import type { User } from '../../store/users.js';
import * as service from './service.js';
import { balances } from './balances.js';
import { createBalancesCache } from './balances-cache.js';
import { storableText } from '../fields.js';
import { changesMerchants } from '../merchants/service.js';

const DashboardQuery = z.object({
  state: z.enum(['pending', 'recorded', 'needs_review']).optional().catch(undefined),
  merchant: z.uuid().optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
  // Text no search could match (a NUL) is dropped, as other unusable filters are.
  q: storableText(100).optional().catch(undefined),
});
const PaymentId = z.uuid();
const REFUND_NOTICES = ['sent', 'refused', 'unknown'] as const;
const RefundBody = z.object({ requestId: z.uuid(), amount: storableText(40), reason: storableText(40) });

/**
 * The refund form of a payment's page: a fresh one-time id, the whole refundable amount proposed.
 * Offered only as Xendit would take it by how the payment was paid (refund-support.ts): not at all
 * for a channel it never refunds, for the whole payment only where it refuses partial refunds, with
 * the reason shown instead. A payment whose channel was not recorded (older rows) or is not in the
 * table is offered the form, and Xendit decides.
 */
function refundFormOf(detail: Awaited<ReturnType<typeof service.paymentDetail>>, actor: User) {
  const { payment, refundable } = detail;
  const support = refundSupport({ method: payment.paymentMethod, channel: payment.paymentChannel, currency: payment.currency });
  const why = support === 'none' ? 'none' : support === 'full' ? (refundable === payment.amount ? 'fullOnly' : 'fullOnlyTaken') : null;
  const allowed = mayRefund(actor);
  return {
    allowed,
    shown: refundable > 0 && allowed && why !== 'none' && why !== 'fullOnlyTaken',
    /** Why the form is not offered, or offered for the whole payment only: a refundChannel_ key. */
    why: refundable > 0 && allowed ? why : null,
    channel: payment.paymentChannel ?? payment.paymentMethod ?? '',
    left: refundable,
    reasons: REFUND_REASONS,
    values: { requestId: randomUUID(), amount: toDecimal(refundable, payment.currency), reason: 'REQUESTED_BY_CUSTOMER' },
  };
}

/** The payments dashboard (/admin), one payment's page, and retrying a payment waiting for review. */
export function paymentsRouter(deps: AdminDeps, sess: Sessions): Router {
  const router = Router();
  const kept = createBalancesCache({ clock: deps.clock });

  router.get(paths.admin, requireUser, async (req, res) => {
    const user = signedIn(res);
    const q = DashboardQuery.parse(req.query);
    // A bad date is shown next to its field (400) and that bound is not applied.
    const range = rangeErrors({ from: q.from, to: q.to });
    const from = range.errors.from ? undefined : range.from;
    const to = range.errors.to ? undefined : range.to;
    const view = await service.dashboard(deps, user, { state: q.state, merchantId: q.merchant, page: q.page, from, to, search: q.q });
    const pageUrl = (page: number, base: string = paths.admin) => {
      const p = new URLSearchParams();
      if (q.q?.trim()) p.set('q', q.q.trim());
      if (q.state) p.set('state', q.state);
      if (user.role === 'operator' && q.merchant) p.set('merchant', q.merchant);
      if (from) p.set('from', from);
      if (to) p.set('to', to);
      if (page > 1) p.set('page', String(page));
      const s = p.toString();
      return base + (s ? `?${s}` : '');
    };
    // One merchant in view: its Xendit balance next to its clearing account in Xero, per currency,
    // as read within the last minute (balances-cache.ts).
    const merchant = view.merchant ? await deps.stores.merchants.byId(view.merchant.id) : null;
    const shown = merchant ? await kept.get(merchant, () => balances(deps, merchant)) : null;
    render(res, Object.keys(range.errors).length ? 400 : 200, 'dashboard', {
      ...view,
      balances: shown?.rows ?? [],
      balancesReadAt: shown?.readAt ?? null,
      errors: range.errors,
      values: { from: typeof q.from === 'string' ? q.from : '', to: typeof q.to === 'string' ? q.to : '' },
      filter: { state: q.state ?? '', merchant: user.role === 'operator' ? (q.merchant ?? '') : '', from: from ?? '', to: to ?? '', q: q.q?.trim() ?? '' },
      csvUrl: pageUrl(1, paths.adminPaymentsCsv),
      page: q.page,
      prevUrl: q.page > 1 ? pageUrl(q.page - 1) : null,
      nextUrl: view.hasMore ? pageUrl(q.page + 1) : null,
    });
  });

  // The filtered list as CSV (every cell a spreadsheet could evaluate is neutralised).
  router.get(paths.adminPaymentsCsv, requireUser, async (req, res) => {
    const q = DashboardQuery.parse(req.query);
    const range = rangeErrors({ from: q.from, to: q.to });
    if (Object.keys(range.errors).length) throw new FormInvalid(range.errors);
    const rows = await service.dashboardCsvRows(
      deps,
      signedIn(res),
      { state: q.state, merchantId: q.merchant, from: range.from, to: range.to, search: q.q },
      (zone) => deps.i18n.formats('en', zone).dateTime,
    );
    res.type('text/csv; charset=utf-8').attachment('payments.csv').send(csvLines(rows));
  });

  router.get(paths.adminPayment, requireUser, async (req, res) => {
    const id = PaymentId.safeParse(req.params.paymentId);
    if (!id.success) throw new NotFound('malformed payment id');
    const detail = await service.paymentDetail(deps, signedIn(res), id.data);
    const notice = REFUND_NOTICES.find((n) => n === req.query.refund) ?? null;
    render(res, 200, 'payment', {
      ...detail,
      retried: req.query.retried === '1',
      retryAllowed: changesMerchants(signedIn(res)),
      refundForm: refundFormOf(detail, signedIn(res)),
      refundErrors: {},
      refundNotice: notice,
    });
  });

  // Money leaves: the password typed within the step-up window, like any change of where money goes.
  router.post(
    paths.adminPaymentRefund,
    requireUser,
    sess.verifyCsrf,
    stepUp(deps, (req) => adminPaymentPath(String(req.params.paymentId))),
    async (req, res) => {
      const id = PaymentId.safeParse(req.params.paymentId);
      if (!id.success) throw new NotFound('malformed payment id');
      const form = RefundBody.safeParse(req.body);
      const values = { requestId: form.data?.requestId ?? randomUUID(), amount: form.data?.amount ?? '', reason: form.data?.reason ?? '' };
      try {
        if (!form.success) throw new FormInvalid({ form: 'errors:refundFormStale' }, 400);
        const request = await requestRefund(deps, signedIn(res), id.data, form.data);
        res.redirect(303, `${adminPaymentPath(id.data)}?refund=${request.state === 'sending' ? 'unknown' : request.state}`);
      } catch (err) {
        if (!(err instanceof FormInvalid)) throw err;
        // Read after the refusal: a request another form made meanwhile is on the page.
        const detail = await service.paymentDetail(deps, signedIn(res), id.data);
        render(res, err.status, 'payment', {
          ...detail,
          retried: false,
          retryAllowed: changesMerchants(signedIn(res)),
          refundForm: { ...refundFormOf(detail, signedIn(res)), values },
          refundErrors: err.fields,
          refundNotice: null,
        });
      }
    },
  );

  router.post(paths.adminPaymentRetry, requireUser, sess.verifyCsrf, async (req, res) => {
    const id = PaymentId.safeParse(req.params.paymentId);
    if (!id.success) throw new NotFound('malformed payment id');
    await service.retryPayment(deps, signedIn(res), id.data);
    res.redirect(303, `${adminPaymentPath(id.data)}?retried=1`);
  });

  router.use(adminErrors(deps.logger));
  return router;
}
