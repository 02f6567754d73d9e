/** Signing in: the first-run setup link, and login with its limits per (IP, e-mail), per IP and per account. */
import { createHash, randomBytes } from 'node:crypto';
import type { User } from '../../store/users.js';
import { InvalidCredentials, SetupLinkInvalid, TooManyAttempts, TooManyRequests } from '../../errors.js';
import { createRateLimiter } from '../../security/rate-limit.js';
import { paths } from '../../paths.js';
import type { OnboardingDeps } from '../deps.js';
import { hashPassword, verifyPassword } from './passwords.js';

export const SETUP_LINK_TTL_MS = 24 * 60 * 60_000;
export const LOGIN_LIMIT = 5;
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** Attempts per client (an IPv4 address, an IPv6 /64) across all e-mails: one client guessing many accounts. */
export const LOGIN_IP_LIMIT = 30;
/** Attempts per e-mail across all clients: many clients guessing one account's password. */
export const LOGIN_ACCOUNT_LIMIT = 30;

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
 * Every attempt counts in the database, so all web processes share the limits: per (IP, e-mail),
 * which a success clears, and per IP and per e-mail in fixed windows, which a success does not (a
 * guesser who also holds one account must not reset them). `ip` is the client's rate-limit key
 * (clientKey: IPv6 by /64). Unknown e-mails cost the same scrypt work as known ones.
 */
export async function login(deps: OnboardingDeps, input: { email: string; password: string; ip: string }): Promise<User> {
  const key = sha256(`${input.ip}\n${input.email}`);
  const now = deps.clock();
  const { count, windowStart } = await deps.stores.sessions.countAttempt(key, now, LOGIN_WINDOW_MS);
  if (count > LOGIN_LIMIT) {
    deps.logger.warn({ attempts: count }, 'login throttled');
    throw new TooManyAttempts(Math.max(1, Math.ceil((windowStart.getTime() + LOGIN_WINDOW_MS - now.getTime()) / 1000)));
  }
  const windowSeconds = LOGIN_WINDOW_MS / 1000;
  try {
    await createRateLimiter({ store: deps.stores.rateLimits, clock: deps.clock })(
      { key: `login-ip:${input.ip}`, rule: { limit: LOGIN_IP_LIMIT, windowSeconds } },
      { key: `login-account:${sha256(input.email)}`, rule: { limit: LOGIN_ACCOUNT_LIMIT, windowSeconds } },
    );
  } catch (err) {
    if (!(err instanceof TooManyRequests)) throw err;
    deps.logger.warn({ reason: err.message }, 'login throttled');
    throw new TooManyAttempts(err.retryAfterSeconds);
  }
  const user = await deps.stores.users.byEmail(input.email);
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok || user.disabledAt) throw new InvalidCredentials('wrong e-mail or password');
  await deps.stores.sessions.clearAttempts(key);
  return user;
}

/** The hash of a random password nobody knows, checked for unknown e-mails to spend the same time. */
const DUMMY_HASH = 'scrypt$32768$8$1$AnsMW32Vh+UmjMRlpe+zCg==$L/bVUKYro82Ht/lJ7G0lsPSv02AIRggP0ymRFiHqfx/oDR9tws/BrUXEgir1IxG0fNBUHMru9+6IoGo5/ARHmA==';
