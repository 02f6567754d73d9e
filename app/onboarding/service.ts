import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { SyncState } from '../store/schema.js';
import type { PaymentRow } from '../store/dashboard.js';
import { EmailTakenError, type User } from '../store/users.js';
import { Conflict, DomainError, InvalidCredentials, NotFound, SetupLinkInvalid, TooManyAttempts } from '../errors.js';
import { callbackPathFor, customPaymentUrl, paths } from '../paths.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { dayCharts } from './chart.js';
import { addDays, startOf } from './dates.js';
import { recordingJobKeys } from '../jobs/kinds.js';

export interface OnboardingDeps {
  stores: Stores;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  onJobEnqueued?: () => void;
}

export const SETUP_LINK_TTL_MS = 24 * 60 * 60_000;
export const LOGIN_LIMIT = 5;
export const LOGIN_WINDOW_MS = 15 * 60_000;
export const PAGE_SIZE = 25;

/** A form the user can correct: the controller shows it again with these messages by field. */
/** 422 by default; 400 for a value the form could never have offered (a choice not on its list). */
export class FormInvalid extends DomainError {
  override readonly status: number;
  override readonly messageKey = 'badRequest';
  override readonly publicReason = 'the form has errors';
  constructor(
    readonly fields: Record<string, string>,
    status: 400 | 422 = 422,
  ) {
    super(Object.values(fields).join('; '));
    this.status = status;
  }
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

export function setupUrl(publicUrl: string, token: string): string {
  return publicUrl + paths.adminSetup.replace(':token', token);
}

/**
 * First run: while no operator exists, every start issues a setup link valid for 24 hours. Only
 * its hash is stored; the link itself exists in the log (and the demo home page) only.
 */
export async function issueSetupLinkIfNeeded(deps: OnboardingDeps): Promise<string | null> {
  if (await deps.stores.users.hasOperator()) return null;
  const token = randomBytes(32).toString('base64url');
  const now = deps.clock();
  await deps.stores.users.addSetupToken(sha256(token), now, new Date(now.getTime() + SETUP_LINK_TTL_MS));
  return setupUrl(deps.publicUrl, token);
}

export async function checkSetupLink(deps: OnboardingDeps, token: string): Promise<void> {
  if (!(await deps.stores.users.setupTokenUsable(sha256(token), deps.clock()))) throw new SetupLinkInvalid('setup link unknown, used or expired');
  if (await deps.stores.users.hasOperator()) throw new SetupLinkInvalid('an operator already exists');
}

export async function completeSetup(deps: OnboardingDeps, input: { token: string; email: string; password: string }): Promise<User> {
  await checkSetupLink(deps, input.token);
  const passwordHash = await hashPassword(input.password);
  const user = await deps.stores.users.createFirstOperator(sha256(input.token), { email: input.email, passwordHash }, deps.clock());
  if (!user) throw new SetupLinkInvalid('setup link spent by a concurrent request');
  deps.logger.info({ userId: user.id }, 'first operator created');
  return user;
}

/**
 * Every attempt for (IP, e-mail) counts in the database, so all web processes share the limit;
 * a success clears it. Unknown e-mails cost the same scrypt work as known ones.
 */
export async function login(deps: OnboardingDeps, input: { email: string; password: string; ip: string }): Promise<User> {
  const key = sha256(`${input.ip}\n${input.email}`);
  const now = deps.clock();
  const { count, windowStart } = await deps.stores.sessions.countAttempt(key, now, LOGIN_WINDOW_MS);
  if (count > LOGIN_LIMIT) {
    deps.logger.warn({ attempts: count }, 'login throttled');
    throw new TooManyAttempts(Math.max(1, Math.ceil((windowStart.getTime() + LOGIN_WINDOW_MS - now.getTime()) / 1000)));
  }
  const user = await deps.stores.users.byEmail(input.email);
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok) throw new InvalidCredentials('wrong e-mail or password');
  await deps.stores.sessions.clearAttempts(key);
  return user;
}

/** The hash of a random password nobody knows, checked for unknown e-mails to spend the same time. */
const DUMMY_HASH = 'scrypt$32768$8$1$AnsMW32Vh+UmjMRlpe+zCg==$L/bVUKYro82Ht/lJ7G0lsPSv02AIRggP0ymRFiHqfx/oDR9tws/BrUXEgir1IxG0fNBUHMru9+6IoGo5/ARHmA==';

export async function createMerchantUser(deps: OnboardingDeps, actor: User, input: { email: string; merchantId: string; password: string }): Promise<User> {
  if (actor.role !== 'operator') throw new NotFound('only operators manage users');
  if (!(await deps.stores.merchants.byId(input.merchantId))) throw new FormInvalid({ merchantId: 'Choose a merchant from the list.' });
  try {
    const user = await deps.stores.users.add(
      { email: input.email, passwordHash: await hashPassword(input.password), role: 'merchant', merchantId: input.merchantId },
      deps.clock(),
    );
    deps.logger.info({ userId: user.id, merchantId: input.merchantId, by: actor.id }, 'merchant user created');
    return user;
  } catch (err) {
    if (err instanceof EmailTakenError) throw new FormInvalid({ email: 'A user with this e-mail already exists.' });
    throw err;
  }
}

export async function listUsers(deps: OnboardingDeps, actor: User) {
  if (actor.role !== 'operator') throw new NotFound('only operators manage users');
  const [users, merchants] = await Promise.all([deps.stores.users.list(), deps.stores.merchants.list()]);
  const names = new Map(merchants.map((m) => [m.id, m.name]));
  return {
    users: users.map((u) => ({ email: u.email, role: u.role, merchantName: u.merchantId ? (names.get(u.merchantId) ?? '') : '', createdAt: u.createdAt })),
    merchants: merchants.map((m) => ({ id: m.id, name: m.name })),
  };
}

/** A merchant user is pinned to their merchant whatever the query says. */
function scopeOf(actor: User, requestedMerchantId?: string): string | undefined {
  return actor.role === 'merchant' ? actor.merchantId! : requestedMerchantId;
}

/** Without a range the chart shows the last 30 days (UTC). */
export const CHART_DEFAULT_DAYS = 30;

export async function dashboard(deps: OnboardingDeps, actor: User, q: { state?: SyncState; merchantId?: string; page: number; from?: string; to?: string }) {
  const merchantId = scopeOf(actor, q.merchantId);
  const { rows, hasMore } = await deps.stores.dashboard.payments({
    merchantId,
    state: q.state,
    paidFrom: q.from ? startOf(q.from) : undefined,
    paidBefore: q.to ? startOf(addDays(q.to, 1)) : undefined,
    limit: PAGE_SIZE,
    offset: (q.page - 1) * PAGE_SIZE,
  });
  const today = deps.clock().toISOString().slice(0, 10);
  const chartTo = q.to ?? (q.from && q.from > today ? q.from : today);
  const chartFrom = q.from ?? addDays(chartTo, 1 - CHART_DEFAULT_DAYS);
  const perDay = await deps.stores.dashboard.paidPerDay({ merchantId, paidFrom: startOf(chartFrom), paidBefore: startOf(addDays(chartTo, 1)) });
  const all = actor.role === 'operator' ? await deps.stores.merchants.list() : [];
  const merchants = all.map((m) => ({ id: m.id, name: m.name }));
  const merchant = merchantId ? await deps.stores.merchants.byId(merchantId) : null;
  // "Xero disconnected — reconnect" for every merchant in view whose refresh Xero refused (or who disconnected).
  const inView = merchantId ? (merchant ? [merchant] : []) : all;
  const xeroDisconnected = inView.filter((m) => m.xeroDisconnected !== null).map((m) => ({ id: m.id, name: m.name }));
  return {
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
): Promise<{ payment: PaymentRow } & Awaited<ReturnType<Stores['dashboard']['timeline']>>> {
  const payment = await deps.stores.dashboard.payment(paymentId, scopeOf(actor));
  if (!payment) throw new NotFound(`payment ${paymentId} not found for this user`);
  return { payment, ...(await deps.stores.dashboard.timeline(payment, recordingJobKeys(payment.merchantId, payment.xenditInvoiceId))) };
}

/** The merchant fixed the cause in Xero: run the record-payment job again from a clean slate. */
export async function retryPayment(deps: OnboardingDeps, actor: User, paymentId: string): Promise<void> {
  const payment = await deps.stores.dashboard.payment(paymentId, scopeOf(actor));
  if (!payment) throw new NotFound(`payment ${paymentId} not found for this user`);
  if (!(await deps.stores.dashboard.requeueRecordPayment(payment.id, recordingJobKeys(payment.merchantId, payment.xenditInvoiceId), deps.clock()))) {
    throw new Conflict('this payment is not waiting for review');
  }
  deps.logger.info({ paymentId, by: actor.id }, 'payment retry queued');
  deps.onJobEnqueued?.();
}
