/** Signing in: the first-run setup link, and login with its limits per (IP, e-mail), per IP, per network and per account. */
import { createHash, randomBytes } from 'node:crypto';
import { EmailTakenError, type User } from '../../store/users.js';
import { FormInvalid, InvalidCredentials, PasswordWorkBusy, SetupLinkInvalid, TooManyAttempts, TooManyRequests } from '../../errors.js';
import { countedWindows, refuseOverLimit, type RateCounter } from '../../security/rate-limit.js';
import { paths } from '../../paths.js';
import type { OnboardingDeps, PasswordDeps } from '../deps.js';
import { PASSWORD_BUSY_RETRY_SECONDS } from './password-work.js';

export const SETUP_LINK_TTL_MS = 24 * 60 * 60_000;
export const LOGIN_LIMIT = 5;
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** Failed attempts per client (an IPv4 address, an IPv6 /64) across all e-mails: one client guessing many accounts. */
export const LOGIN_IP_LIMIT = 30;
/**
 * Failed attempts per network (an IPv4 /24, an IPv6 /48) across all e-mails: one attacker rotating
 * through the /64s of their /48 with a new e-mail each time, which no other limit holds, and each
 * attempt costs a scrypt (see password-work.ts for the cap per process). Twice a client's.
 */
export const LOGIN_NETWORK_LIMIT = 60;
/** Failed attempts per e-mail across all clients: many clients guessing one account's password. */
export const LOGIN_ACCOUNT_LIMIT = 30;
/** How long a client that signed in as an e-mail is exempt from the per-IP, per-network and per-e-mail limits; rate_limits rows are kept a day (housekeeping). */
export const LOGIN_KNOWN_CLIENT_MS = 24 * 3600_000;
/** Failed step-ups per e-mail per window, from any address: what a stolen session may guess. */
export const STEP_UP_ACCOUNT_LIMIT = 10;

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

export async function completeSetup(deps: PasswordDeps, input: { token: string; email: string; password: string }): Promise<User> {
  await checkSetupLink(deps, input.token);
  const passwordHash = await deps.passwords.hash(input.password);
  let user: User | null;
  try {
    user = await deps.stores.users.createFirstOperator(sha256(input.token), { email: input.email, passwordHash }, deps.clock());
  } catch (err) {
    // A merchant's user may have this address already (no operator yet, merchants added from the CLI):
    // the form says so, and the link, not spent (the transaction rolled back), can be used with another.
    if (err instanceof EmailTakenError) throw new FormInvalid({ email: 'errors:emailTaken' });
    throw err;
  }
  if (!user) throw new SetupLinkInvalid('setup link spent by a concurrent request');
  deps.logger.info({ userId: user.id }, 'first operator created');
  return user;
}

/**
 * Per (IP, e-mail): every attempt counts (a success clears it), for sign-in and step-up alike.
 * Counted in the database, so all web processes share the limit.
 */
async function countPairAttempt(deps: OnboardingDeps, pair: string): Promise<void> {
  const now = deps.clock();
  const { count, windowStart } = await deps.stores.sessions.countAttempt(pair, now, LOGIN_WINDOW_MS);
  if (count > LOGIN_LIMIT) {
    deps.logger.warn({ attempts: count }, 'login throttled');
    throw new TooManyAttempts(Math.max(1, Math.ceil((windowStart.getTime() + LOGIN_WINDOW_MS - now.getTime()) / 1000)));
  }
}

/**
 * Counts this attempt in the `counted` windows; over a limit it is taken back and refused, unless
 * `exempt` says this client may go on.
 */
async function hitOrRefuse(
  deps: OnboardingDeps,
  counted: ReturnType<typeof countedWindows>,
  now: Date,
  what: string,
  exempt?: () => Promise<boolean>,
): Promise<void> {
  const hits = await deps.stores.rateLimits.hit(counted);
  try {
    refuseOverLimit(counted, hits, now.getTime());
  } catch (err) {
    if (!(err instanceof TooManyRequests)) throw err;
    if (exempt && (await exempt())) return;
    await deps.stores.rateLimits.unhit(counted);
    deps.logger.warn({ reason: err.message }, `${what} throttled`);
    throw new TooManyAttempts(err.retryAfterSeconds);
  }
}

/** Unknown e-mails and invited users (no password yet) cost the same scrypt work as known ones (verifyPassword). */
async function checkPassword(deps: PasswordDeps, input: { email: string; password: string }): Promise<User> {
  const user = await deps.stores.users.byEmail(input.email);
  const ok = await deps.passwords.verify(input.password, user?.passwordHash);
  if (!user || !ok || user.disabledAt) throw new InvalidCredentials('wrong e-mail or password');
  return user;
}

/** The password was right from this client for this e-mail: it is a known client (see login) for a day. */
async function succeeded(deps: OnboardingDeps, pair: string): Promise<void> {
  await deps.stores.sessions.clearAttempts(pair);
  await deps.stores.rateLimits.hit([{ key: `login-ok:${pair}`, windowStart: deps.clock() }]);
}

/**
 * Sign-in, under four limits: per (IP, e-mail) on every attempt (countPairAttempt), and per IP,
 * per network and per e-mail on failed attempts only, in fixed windows, so that guessers cannot
 * lock out whoever knows the password by signing in wrongly as them. `ip` is the client's
 * rate-limit key (clientKey: IPv6 by /64), `network` the coarser one (clientNetworkKey: /48, /24).
 *
 * The per-IP and per-e-mail counters are counted before the password is checked and taken back
 * when it was right (or the attempt was refused): checking first and counting after a failure
 * would let a burst of concurrent guesses all pass the check before any of them counted. The
 * per-IP counter comes first: a client over it writes no (IP, e-mail) or per-e-mail row for the
 * e-mails it goes on trying.
 *
 * A known client, one that signed in (or stepped up) as this e-mail from this IP within
 * LOGIN_KNOWN_CLIENT_MS, is held to its per-(IP, e-mail) limit only. An attacker spread over many
 * addresses can then still pause the account for a new device or network, but not for the
 * addresses its user signs in from, which is what the lockout would cost. Little is given away:
 * someone sharing such an address (an office NAT) gets that pair's 5 guesses per window for that
 * one e-mail, and their failures still count against the e-mail for everyone else. The browser's
 * session is no signal here (signing in again means it has none); the step-up has one, see
 * confirmPassword.
 */
export async function login(deps: PasswordDeps, input: Credentials & { network: string }): Promise<User> {
  const windowSeconds = LOGIN_WINDOW_MS / 1000;
  return attempt(
    deps,
    input,
    'login',
    {
      first: [
        { key: `login-ip:${input.ip}`, rule: { limit: LOGIN_IP_LIMIT, windowSeconds } },
        { key: `login-net:${input.network}`, rule: { limit: LOGIN_NETWORK_LIMIT, windowSeconds } },
      ],
      then: [{ key: `login-account:${sha256(input.email)}`, rule: { limit: LOGIN_ACCOUNT_LIMIT, windowSeconds } }],
    },
    async (pair, now) => {
      const known = (await deps.stores.rateLimits.windowStarts([`login-ok:${pair}`])).get(`login-ok:${pair}`);
      return known !== undefined && known.getTime() > now.getTime() - LOGIN_KNOWN_CLIENT_MS;
    },
  );
}

/**
 * The step-up of a signed-in user: the per-(IP, e-mail) limit, and failed step-ups per e-mail on a
 * counter of their own (STEP_UP_ACCOUNT_LIMIT). Not the sign-in's per-e-mail counter: under it,
 * anyone could keep a signed-in operator from every money-moving form by failing to sign in as them
 * from a few addresses. Its own counter still caps what a stolen session may guess, whatever
 * addresses it guesses from; only a session can fill it.
 */
export async function confirmPassword(deps: PasswordDeps, input: Credentials): Promise<User> {
  return attempt(deps, input, 'step-up', {
    first: [{ key: `stepup-account:${sha256(input.email)}`, rule: { limit: STEP_UP_ACCOUNT_LIMIT, windowSeconds: LOGIN_WINDOW_MS / 1000 } }],
    then: [],
  });
}

type Credentials = { email: string; password: string; ip: string };

/**
 * Windows of failed attempts (counted first, taken back when the password was right). `first` is
 * counted before anything is written for the e-mail or the (IP, e-mail) pair: a request it refuses
 * adds no row, so one client trying ever new e-mails adds at most its limit's worth of rows per
 * window. `then` comes after the pair's count.
 */
type Failures = { first: RateCounter[]; then: RateCounter[] };

/**
 * One password check under the `failures` windows and the per-(IP, e-mail) limit; `exempt` may let
 * a client past the windows. A refused attempt is taken back from every window it was counted in.
 * While the process checks as many passwords as it may (deps.passwords), it is refused before
 * anything is counted; should the queue fill meanwhile, its failure windows are taken back.
 */
async function attempt(
  deps: PasswordDeps,
  input: Credentials,
  what: string,
  failures: Failures,
  exempt?: (pair: string, now: Date) => Promise<boolean>,
): Promise<User> {
  const pair = sha256(`${input.ip}\n${input.email}`);
  const now = deps.clock();
  const isExempt = exempt && (() => exempt(pair, now));
  const first = countedWindows(failures.first, now.getTime());
  const then = countedWindows(failures.then, now.getTime());
  if (deps.passwords.full()) throw new PasswordWorkBusy(PASSWORD_BUSY_RETRY_SECONDS);
  await hitOrRefuse(deps, first, now, what, isExempt);
  let user: User;
  try {
    await countPairAttempt(deps, pair);
    await hitOrRefuse(deps, then, now, what, isExempt);
    user = await checkPassword(deps, input);
  } catch (err) {
    if (err instanceof TooManyAttempts) await deps.stores.rateLimits.unhit(first);
    // No password was checked: not a failed attempt.
    if (err instanceof PasswordWorkBusy) await deps.stores.rateLimits.unhit([...first, ...then]);
    throw err;
  }
  await deps.stores.rateLimits.unhit([...first, ...then]);
  await succeeded(deps, pair);
  return user;
}
