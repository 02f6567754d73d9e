/**
 * Users: operators manage everyone; a merchant's owners manage their merchant's users; staff only
 * read. Nobody chooses another person's password: a new user gets a one-time invite link and sets
 * their own, a forgotten password gets a one-time reset link (only the links' hashes are stored).
 */
import { createHash, randomBytes } from 'node:crypto';
import { EmailTakenError, type MerchantRole, type User } from '../../store/users.js';
import { FormInvalid, Forbidden, OperatorsOnly, InvalidCredentials, NotFound, UserLinkInvalid } from '../../errors.js';
import { paths } from '../../paths.js';
import type { OnboardingDeps, PasswordDeps } from '../deps.js';
import { confirmPassword } from '../auth/service.js';
import { recordChange } from '../audit.js';
import { raiseAlert } from '../../alerts/raise.js';
import { message } from '../../i18n/index.js';
import { isUuid } from '../../security/uuid.js';

export const INVITE_TTL_MS = 7 * 86_400_000;
export const RESET_TTL_MS = 24 * 3_600_000;

const sha256 = (v: string) => createHash('sha256').update(v).digest('base64url');

/** Operators, and the owners of a merchant (for that merchant). */
export function managesUsers(actor: User): boolean {
  return actor.role === 'operator' || (actor.role === 'merchant' && actor.merchantRole === 'owner');
}

function mayManage(actor: User, target: { role: string; merchantId: string | null }): boolean {
  if (actor.role === 'operator') return true;
  return managesUsers(actor) && target.role === 'merchant' && target.merchantId === actor.merchantId;
}

/**
 * Whether the actor may be given a link that sets the user's password. A user who never set one gets
 * a new invite from whoever manages them. A password already chosen is reset only from above: an
 * owner's by an operator, a staff user's by an owner or an operator, an operator's from the server
 * (`users password-link`): the link is shown to whoever asks, so a peer given one could sign in as
 * the other and act in their name.
 */
function mayReset(actor: User, target: User): boolean {
  if (!target.hasPassword) return true;
  if (actor.role === 'operator') return target.role === 'merchant';
  return target.role === 'merchant' && target.merchantRole === 'staff';
}

/**
 * Whether the actor may disable the user: an owner's account only by an operator, as its password
 * is reset (a co-owner could otherwise lock every other owner out and be the merchant's only voice);
 * staff by their owners too. An owner invited who never set a password (so never signed in) is a
 * pending invitation, not a voice yet: their merchant's owners may revoke it (a wrong address, a
 * change of mind), or it would stay usable until it expires with nobody but an operator to stop it.
 */
function mayDisable(actor: User, target: User): boolean {
  if (actor.role === 'operator') return true;
  return target.role === 'merchant' && (target.merchantRole === 'staff' || pendingOwner(target));
}

const pendingOwner = (user: User) => user.role === 'merchant' && user.merchantRole === 'owner' && !user.hasPassword;

/** A one-time link's token, what is stored of it, and when it expires. */
function newLink(deps: OnboardingDeps, purpose: 'invite' | 'reset') {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(deps.clock().getTime() + (purpose === 'invite' ? INVITE_TTL_MS : RESET_TTL_MS));
  return { url: deps.publicUrl + paths.adminUserLink.replace(':token', token), tokenHash: sha256(token), expiresAt };
}

/** A new link for the user; their earlier unused links stop working. */
async function issueLink(deps: OnboardingDeps, user: User, purpose: 'invite' | 'reset'): Promise<string> {
  const link = newLink(deps, purpose);
  await deps.stores.users.addLink(user.id, purpose, link.tokenHash, deps.clock(), link.expiresAt);
  return link.url;
}

export async function listUsers(deps: OnboardingDeps, actor: User) {
  if (!managesUsers(actor)) throw new NotFound('only operators and owners manage users');
  const [users, merchants] =
    actor.role === 'operator'
      ? await Promise.all([deps.stores.users.list(), deps.stores.merchants.list()])
      : await Promise.all([deps.stores.users.listForMerchant(actor.merchantId!), deps.stores.merchants.byId(actor.merchantId!).then((m) => (m ? [m] : []))]);
  const names = new Map(merchants.map((m) => [m.id, m.name]));
  return {
    users: users.map((u) => ({
      id: u.id,
      email: u.email,
      role: u.role,
      merchantRole: u.role === 'merchant' ? u.merchantRole : null,
      merchantName: u.merchantId ? (names.get(u.merchantId) ?? '') : '',
      createdAt: u.createdAt,
      disabled: Boolean(u.disabledAt),
      invited: !u.hasPassword,
      self: u.id === actor.id,
      resettable: mayReset(actor, u),
      disableable: mayDisable(actor, u),
    })),
    merchants: merchants.map((m) => ({ id: m.id, name: m.name })),
  };
}

/** A merchant user with no password yet, and the one-time link where they choose it (shown once). */
export async function inviteUser(deps: OnboardingDeps, actor: User, input: { email: string; merchantId: string; merchantRole: MerchantRole }): Promise<string> {
  if (!mayManage(actor, { role: 'merchant', merchantId: input.merchantId })) throw new NotFound('not allowed to add users to this merchant');
  if (!(await deps.stores.merchants.byId(input.merchantId))) throw new FormInvalid({ merchantId: 'errors:merchantChoose' });
  let user: User;
  // The user and their link in one commit: a second click waits for both (see inviteAgain).
  const link = newLink(deps, 'invite');
  try {
    user = await deps.stores.users.addInvited(
      { email: input.email, passwordHash: '', role: 'merchant', merchantId: input.merchantId, merchantRole: input.merchantRole, invitedBy: actor.id },
      link,
      deps.clock(),
    );
  } catch (err) {
    if (!(err instanceof EmailTakenError)) throw err;
    const taken = await deps.stores.users.byEmail(input.email);
    if (taken && inviteAgain(deps, actor, input, taken)) {
      const url = await issueLink(deps, taken, 'invite');
      await recordChange(deps, actor, input.merchantId, 'password_link_issued', { email: taken.email });
      deps.logger.info({ userId: taken.id, merchantId: input.merchantId, by: actor.id }, 'merchant user invited again: a fresh link');
      return url;
    }
    if (taken && taken.merchantId !== input.merchantId && actor.role !== 'operator') {
      await triedElsewhere(deps, actor, input.merchantId, taken);
      throw new FormInvalid({ email: 'errors:emailElsewhere' });
    }
    throw new FormInvalid({ email: 'errors:emailTaken' });
  }
  await recordChange(deps, actor, input.merchantId, 'user_invited', { email: user.email, role: input.merchantRole });
  deps.logger.info({ userId: user.id, merchantId: input.merchantId, by: actor.id }, 'merchant user invited');
  return link.url;
}

/** How long after an invite the same inviter's same invite gets a fresh link instead of "e-mail taken". */
export const INVITE_AGAIN_MS = 5 * 60_000;

/**
 * The invite form sent again (a double click, or the page reloaded and sent) by the one who just
 * made that user: the link was shown only on the answer to the first, which the browser no longer
 * shows, so "e-mail taken" would lose it. Only for the same merchant and role, a user who never set
 * a password and is not disabled, made by this inviter within INVITE_AGAIN_MS: a fresh link, the
 * earlier one stops working (recorded as a link issued, as "New link" would be). Nothing else about
 * the user changes.
 */
function inviteAgain(deps: OnboardingDeps, actor: User, input: { merchantId: string; merchantRole: MerchantRole }, taken: User): boolean {
  return (
    taken.invitedBy === actor.id &&
    taken.role === 'merchant' &&
    taken.merchantId === input.merchantId &&
    taken.merchantRole === input.merchantRole &&
    !taken.hasPassword &&
    !taken.disabledAt &&
    deps.clock().getTime() - taken.createdAt.getTime() <= INVITE_AGAIN_MS
  );
}

/**
 * An owner invited an address that is a user of another merchant (or an operator). A user belongs
 * to one merchant, and the invite link is handed to the inviter, so no answer can hide that the
 * address is in use (a fresh one gets a working link and a row in the list). So the answer says so
 * plainly, nothing changes for that user, and the address's owner (with their merchant's other
 * users and the operators) is told by e-mail which merchant tried: once per merchant and address
 * within the alerts' quiet time, so probing addresses is seen by those probed without flooding them.
 */
async function triedElsewhere(deps: OnboardingDeps, actor: User, merchantId: string, taken: User): Promise<void> {
  const inviter = await deps.stores.merchants.byId(merchantId);
  deps.logger.info({ userId: taken.id, merchantId, by: actor.id }, 'invite of a user of another merchant refused');
  await raiseAlert(deps, {
    merchantId: taken.merchantId,
    kind: 'inviteElsewhere',
    message: message('alerts:inviteElsewhere', { email: taken.email, merchant: inviter?.name ?? merchantId }),
    dedupeKey: `inviteElsewhere:${taken.id}:${merchantId}`,
  });
}

async function target(deps: OnboardingDeps, actor: User, userId: string): Promise<User> {
  const user = isUuid(userId) ? await deps.stores.users.byId(userId) : null;
  if (!user || !mayManage(actor, user)) throw new NotFound('no such user here');
  return user;
}

/** Disabled at once: they cannot sign in and their sessions end. Nobody disables themselves. */
export async function disableUser(deps: OnboardingDeps, actor: User, userId: string): Promise<User> {
  const user = await target(deps, actor, userId);
  if (user.id === actor.id) throw new Forbidden('you cannot disable yourself');
  if (!mayDisable(actor, user)) throw new OperatorsOnly('an owner is disabled only by an operator');
  // An owner's leave to disable a co-owner lasts only while the invitation is pending.
  const pendingOnly = actor.role !== 'operator' && pendingOwner(user);
  if (!(await deps.stores.users.disable(user.id, deps.clock(), { pendingOnly })) && pendingOnly) {
    throw new OperatorsOnly('the invited owner has set a password since: an owner is disabled only by an operator');
  }
  await recordChange(deps, actor, user.merchantId, 'user_disabled', { email: user.email });
  deps.logger.info({ userId: user.id, by: actor.id }, 'user disabled');
  return user;
}

/** A one-time link to choose a new password (an invite again for a user who never set one). */
export async function passwordLink(deps: OnboardingDeps, actor: User | null, userId: string): Promise<{ user: User; url: string }> {
  const user = actor ? await target(deps, actor, userId) : await deps.stores.users.byId(userId);
  if (!user || user.disabledAt) throw new NotFound('no such active user');
  if (actor && !mayReset(actor, user)) throw new Forbidden('a password is reset only by someone above its user');
  const url = await issueLink(deps, user, user.hasPassword ? 'reset' : 'invite');
  await recordChange(deps, actor, user.merchantId, 'password_link_issued', { email: user.email });
  return { user, url };
}

export async function openUserLink(deps: OnboardingDeps, token: string): Promise<{ email: string; purpose: 'invite' | 'reset' }> {
  const found = /^[\w-]{43}$/.test(token) ? await deps.stores.users.findLink(sha256(token), deps.clock()) : null;
  const user = found?.state === 'usable' ? await deps.stores.users.byId(found.userId) : null;
  if (!found || !user || user.disabledAt) throw new UserLinkInvalid('user link unknown, used or expired');
  return { email: user.email, purpose: found.purpose };
}

export async function setPasswordByLink(deps: PasswordDeps, token: string, password: string): Promise<User> {
  await openUserLink(deps, token);
  const userId = await deps.stores.users.setPasswordByLink(sha256(token), await deps.passwords.hash(password), deps.clock());
  const user = userId ? await deps.stores.users.byId(userId) : null;
  if (!user) throw new UserLinkInvalid('user link spent by a concurrent request');
  await recordChange(deps, user, user.merchantId, 'password_set', {});
  return user;
}

/**
 * Needs the current password, checked as the step-up checks it: a wrong one counts against the same
 * per-e-mail cap, so a stolen session cannot guess here without end (over the cap: 429 here and at
 * the step-up). The user's other sessions end.
 */
export async function changeOwnPassword(
  deps: PasswordDeps,
  actor: User,
  sessionHash: string,
  input: { current: string; next: string; ip: string },
): Promise<void> {
  try {
    await confirmPassword(deps, { email: actor.email, password: input.current, ip: input.ip });
  } catch (err) {
    if (err instanceof InvalidCredentials) throw new FormInvalid({ current: 'errors:passwordWrong' });
    throw err;
  }
  await deps.stores.users.setPassword(actor.id, await deps.passwords.hash(input.next), sessionHash);
  await recordChange(deps, actor, actor.merchantId, 'password_changed', {});
}

/** The step-up passed (the password was checked like a sign-in): changes of where money goes are allowed for a few minutes. */
export async function passwordConfirmed(deps: OnboardingDeps, sessionHash: string): Promise<void> {
  await deps.stores.sessions.reauthenticated(sessionHash, deps.clock());
}
