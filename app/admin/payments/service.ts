/** The payments dashboard (list, filters, chart), one payment's timeline, and retrying one. */
import { jobRow } from '../../jobs/enqueue.js';
import type { Stores } from '../../store/index.js';
import type { SyncState } from '../../store/schema.js';
import type { PaymentRow } from '../../store/dashboard.js';
import type { User } from '../../store/users.js';
import { Conflict, NotFound } from '../../errors.js';
import { callbackPathFor, customPaymentUrl } from '../../paths.js';
import type { OnboardingDeps } from '../deps.js';
import { dayCharts } from './chart.js';
import { recordingJobKeys } from '../../jobs/kinds.js';
import { addDays, MAX_RANGE_DAYS } from '../dates.js';
import { merchantZone, startOfDayIn, todayIn } from '../time-zone.js';
import { hintReadings } from '../../pay/link-hint.js';
import { exponentOf, SUPPORTED_CURRENCIES, toDecimal } from '../../money.js';
import type { PaymentFilter } from '../../store/dashboard.js';
import type { FeeReturn } from '../../store/fee-returns.js';
import type { Refund } from '../../store/refunds.js';
import type { RefundRequest } from '../../store/refund-requests.js';
import { refundable } from './refund.js';
import { chargebackFeeView, type ChargebackFeeView } from './chargeback-fee.js';
import { merchantToChange } from '../merchants/service.js';
import { reviewCounts } from '../review/service.js';

/** At most this many rows in one CSV export. */
export const CSV_MAX_ROWS = 10_000;

/** What the search box means: text to look for, and the amounts (per currency, minor units) a number may be. */
export function searchOf(text: string | undefined): PaymentFilter['search'] {
  const t = text?.trim().slice(0, 100);
  if (!t) return undefined;
  const amounts = hintReadings(t).flatMap((hundredths) =>
    SUPPORTED_CURRENCIES.flatMap((currency) => {
      const scale = 10n ** BigInt(2 - exponentOf(currency));
      return hundredths % scale === 0n && hundredths / scale <= BigInt(Number.MAX_SAFE_INTEGER) ? [{ currency, amount: Number(hundredths / scale) }] : [];
    }),
  );
  return { text: t, amounts };
}

export const PAGE_SIZE = 25;
/** The most recent checkouts closed by Xero changes shown on the dashboard. */
const CLOSED_SHOWN = 10;
/**
 * A checkout Xendit refused is shown on the dashboard for a day after its latest alert (with its
 * time; a refusal repeated is stored at most every 6 hours), so one fixed drops off.
 */
const REFUSALS_SHOWN_MS = 86_400_000;

/** A merchant user is pinned to their merchant whatever the query says. */
function scopeOf(actor: User, requestedMerchantId?: string): string | undefined {
  return actor.role === 'merchant' ? actor.merchantId! : requestedMerchantId;
}

/** Without a range the chart shows the last 30 days (days of the merchant's zone; UTC across merchants). */
export const CHART_DEFAULT_DAYS = 30;

type DashboardQuery = { state?: SyncState; merchantId?: string; page: number; from?: string; to?: string; search?: string };

/** The filter a dashboard query means for this user (merchant users pinned to theirs), with the page's time zone. */
async function filterOf(deps: OnboardingDeps, actor: User, q: Omit<DashboardQuery, 'page'>) {
  const merchantId = scopeOf(actor, q.merchantId);
  const merchant = merchantId ? await deps.stores.merchants.byId(merchantId) : null;
  const timeZone = merchant ? merchantZone(merchant) : 'UTC';
  const filter: Omit<PaymentFilter, 'limit' | 'offset'> = {
    merchantId,
    state: q.state,
    paidFrom: q.from ? startOfDayIn(q.from, timeZone) : undefined,
    paidBefore: q.to ? startOfDayIn(addDays(q.to, 1), timeZone) : undefined,
    search: searchOf(q.search),
  };
  return { filter, merchant, timeZone };
}

/** The filtered payments as CSV rows (amounts as decimal strings), newest first. */
export async function dashboardCsvRows(deps: OnboardingDeps, actor: User, q: Omit<DashboardQuery, 'page'>, stamp: (zone: string) => (d: Date) => string) {
  const { filter, timeZone } = await filterOf(deps, actor, q);
  const dateTime = stamp(timeZone);
  const rows = await deps.stores.dashboard.allPayments(filter, CSV_MAX_ROWS);
  const header = [`paid (${timeZone})`, 'merchant', 'invoice', 'customer', 'email', 'currency', 'amount', 'xendit_fee', 'net', 'state', 'xendit_invoice_id'];
  return [
    header,
    ...rows.map((p) => [
      dateTime(p.paidAt),
      p.merchantName,
      p.invoiceNumber ?? p.xeroInvoiceId,
      p.customerName,
      p.customerEmail,
      p.currency,
      toDecimal(p.amount, p.currency),
      p.fee === null ? '' : toDecimal(p.fee, p.currency),
      p.fee === null ? '' : toDecimal(p.amount - p.fee, p.currency),
      p.syncState,
      p.xenditInvoiceId,
    ]),
  ];
}

export async function dashboard(deps: OnboardingDeps, actor: User, q: DashboardQuery) {
  // Days are the merchant's days: a payment at 20:00 in Jakarta belongs to that day, not to UTC's.
  const { filter, merchant, timeZone } = await filterOf(deps, actor, q);
  const merchantId = filter.merchantId;
  const startOf = (day: string) => startOfDayIn(day, timeZone);
  const [{ rows, hasMore }, totals] = await Promise.all([
    deps.stores.dashboard.payments({ ...filter, limit: PAGE_SIZE, offset: (q.page - 1) * PAGE_SIZE }),
    deps.stores.dashboard.totals(filter),
  ]);
  const today = todayIn(deps.clock(), timeZone);
  const chartTo = q.to ?? (q.from && q.from > today ? q.from : today);
  // With one bound (or a range the filter refused) the chart still shows at most MAX_RANGE_DAYS, the latest of them.
  const earliest = addDays(chartTo, 1 - MAX_RANGE_DAYS);
  const chartFrom = q.from ? (q.from < earliest ? earliest : q.from) : addDays(chartTo, 1 - CHART_DEFAULT_DAYS);
  const perDay = await deps.stores.dashboard.paidPerDay({ merchantId, paidFrom: startOf(chartFrom), paidBefore: startOf(addDays(chartTo, 1)), timeZone });
  const all = actor.role === 'operator' ? await deps.stores.merchants.list() : [];
  const merchants = all.map((m) => ({ id: m.id, name: m.name }));
  // "Xero disconnected — reconnect" for every merchant in view whose refresh Xero refused (or who disconnected).
  const inView = merchantId ? (merchant ? [merchant] : []) : all;
  const xeroDisconnected = inView.filter((m) => m.xeroDisconnected !== null).map((m) => ({ id: m.id, name: m.name }));
  // Checkouts the gateway expired because their Xero invoice changed, and why (jobs/sync/invoice-changes.ts),
  // and Xendit refusing to make checkouts (a channel or currency not activated): customers cannot pay until it is fixed.
  const scope = merchantId ? [merchantId] : actor.role === 'operator' ? 'all' : [];
  // And what the worker stopped trying to book besides payments (withdrawals, refunds, fees…), per merchant.
  const [closed, refusals, inReview] = await Promise.all([
    deps.stores.invoiceWatch.recentlyClosed(scope, CLOSED_SHOWN),
    deps.stores.alerts.recent('checkoutRefused', scope, new Date(deps.clock().getTime() - REFUSALS_SHOWN_MS), CLOSED_SHOWN),
    reviewCounts(deps, scope),
  ]);
  const names = new Map(all.map((m) => [m.id, m.name]));
  return {
    inReview: [...inReview].map(([id, count]) => ({ id, name: names.get(id) ?? merchant?.name ?? '', count })).sort((x, y) => x.name.localeCompare(y.name)),
    closed: closed.map((c) => ({ ...c, merchantName: names.get(c.merchantId) ?? '' })),
    checkoutRefusals: refusals.map((r) => ({
      merchantId: r.merchantId!,
      merchantName: names.get(r.merchantId!) ?? merchant?.name ?? '',
      at: r.createdAt,
      message: r.message,
    })),
    timeZone,
    totals,
    xeroDisconnected,
    rows,
    hasMore,
    chartRange: { from: chartFrom, to: chartTo },
    charts: dayCharts({ from: chartFrom, to: chartTo }, perDay),
    merchants,
    merchant: merchant ? { id: merchant.id, name: merchant.name, shortCode: merchant.shortCode } : null,
    urls: merchant ? { customPaymentUrl: customPaymentUrl(deps.publicUrl), callbackUrl: deps.publicUrl + callbackPathFor(merchant.id) } : null,
  };
}

export async function paymentDetail(
  deps: OnboardingDeps,
  actor: User,
  paymentId: string,
): Promise<
  {
    payment: PaymentRow;
    timeZone: string;
    refunds: Refund[];
    /** Xendit's fee on each chargeback booked, by refunds row id. */
    chargebackFees: Record<string, ChargebackFeeView>;
    feeReturn: FeeReturn | null;
    refundRequests: RefundRequest[];
    refundable: number;
    closedCheckouts: Awaited<ReturnType<Stores['invoiceWatch']['closedForInvoice']>>;
    /** Its items a person took out of review as handled by hand (admin/review), with their notes. */
    handled: Awaited<ReturnType<Stores['reviewJobs']['handledOfPayment']>>;
  } & Awaited<ReturnType<Stores['dashboard']['timeline']>>
> {
  const payment = await deps.stores.dashboard.payment(paymentId, scopeOf(actor));
  if (!payment) throw new NotFound(`payment ${paymentId} not found for this user`);
  const merchant = await deps.stores.merchants.byId(payment.merchantId);
  const refunds = await deps.stores.refunds.forPayment(payment.id);
  return {
    payment,
    timeZone: merchant ? merchantZone(merchant) : 'UTC',
    refunds,
    chargebackFees: await chargebackFeesOf(deps, refunds),
    feeReturn: await deps.stores.feeReturns.byPayment(payment.id),
    refundRequests: await deps.stores.refundRequests.forPayment(payment.id),
    refundable: await refundable(deps, payment),
    // Why the customer was sent to a new payment page for this invoice (jobs/sync/invoice-changes.ts).
    closedCheckouts: await deps.stores.invoiceWatch.closedForInvoice(payment.merchantId, payment.xeroInvoiceId),
    handled: await deps.stores.reviewJobs.handledOfPayment(payment.id),
    ...(await deps.stores.dashboard.timeline(payment, recordingJobKeys(payment.merchantId, payment.xenditInvoiceId))),
  };
}

/** Each booked chargeback's fee as its LOST job (record-dispute.ts, one per dispute by its dedupe key) left it. */
async function chargebackFeesOf(deps: OnboardingDeps, refunds: Refund[]): Promise<Record<string, ChargebackFeeView>> {
  const out: Record<string, ChargebackFeeView> = {};
  for (const r of refunds) {
    if (r.kind !== 'chargeback' || r.state !== 'recorded') continue;
    const key = lostJobKey(r, deps.clock());
    const job = key ? await deps.stores.jobs.byDedupeKey(key) : null;
    const view = chargebackFeeView(r, job?.state ?? null);
    if (view) out[r.id] = view;
  }
  return out;
}

const lostJobKey = (r: Refund, now: Date) =>
  jobRow('record-dispute', { merchantId: r.merchantId, xenditDisputeId: r.xenditRefundId, status: 'LOST' }, now).dedupe_key;

/**
 * The merchant fixed the cause in Xero: run the record-payment job again from a clean slate. A
 * change like any other: operators and the merchant's owners; staff users only read (403).
 */
export async function retryPayment(deps: OnboardingDeps, actor: User, paymentId: string): Promise<void> {
  const payment = await deps.stores.dashboard.payment(paymentId, scopeOf(actor));
  if (!payment) throw new NotFound(`payment ${paymentId} not found for this user`);
  await merchantToChange(deps, actor, payment.merchantId);
  if (!(await deps.stores.dashboard.requeueRecordPayment(payment.id, recordingJobKeys(payment.merchantId, payment.xenditInvoiceId), deps.clock()))) {
    throw new Conflict('this payment is not waiting for review');
  }
  deps.logger.info({ paymentId, by: actor.id }, 'payment retry queued');
  deps.onJobEnqueued?.();
  // Its refunds and chargebacks that gave up waiting for it to reach Xero (their rows made, still
  // pending) wait for it again: run again, each looks for what it may have made first.
  const now = deps.clock();
  for (const r of await deps.stores.refunds.forPayment(payment.id)) {
    if (r.state !== 'pending') continue;
    const key =
      r.kind === 'chargeback' ? lostJobKey(r, now) : jobRow('record-refund', { merchantId: r.merchantId, xenditRefundId: r.xenditRefundId }, now).dedupe_key;
    if (key && (await deps.stores.jobs.replayKey(key, ['needs_review'], now))) {
      deps.logger.info({ paymentId, xenditRefundId: r.xenditRefundId }, 'refund waiting for this payment queued again');
    }
  }
}
