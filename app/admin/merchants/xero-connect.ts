/**
 * "Connect to Xero" (OAuth 2.0 authorization code + PKCE): start, callback, pick an organisation,
 * disconnect. The `state` is random, stored as its hash, bound to the admin session and user,
 * single use and valid for ten minutes; nothing is stored for a merchant until Xero's answer
 * passed every check and the organisation is known to be free.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { User } from '../../store/users.js';
import { awaitingXero, ShortCodeTakenError } from '../../store/merchants.js';
import { OrganisationTakenError, type OAuthState, type PendingTenant } from '../../store/xero-connections.js';
import { ConnectLinkSpent } from '../../store/connect-links.js';
import { DomainError, NotFound, ServiceUnavailable } from '../../errors.js';
import { OAuthRefused } from '../../clients/xero/errors.js';
import { UpstreamError } from '../../clients/types.js';
import type { XeroConnection, XeroOAuth, XeroTokenSet } from '../../clients/xero/types.js';
import { merchantToChange } from './service.js';
import { recordChange } from '../audit.js';
import { encodeMessage, message, type Message } from '../../i18n/index.js';

export interface XeroOAuthDeps {
  stores: Stores;
  xeroOAuth: XeroOAuth;
  clock: Clock;
  logger: Logger;
}

export const STATE_TTL_MS = 10 * 60_000;

/** Why connecting did not happen, for the admin page (a catalogue key, or a Message); nothing was saved. */
export class XeroConnectProblem extends DomainError {
  override readonly messageKey = 'badRequest';
  override readonly publicReason: string;
  readonly reason: Message;
  constructor(
    reason: Message | string,
    override readonly status: number = 400,
  ) {
    const m = typeof reason === 'string' ? message(reason) : reason;
    super(m.key);
    this.reason = m;
    this.publicReason = m.key;
  }
}

export const sha256 = (v: string) => createHash('sha256').update(v).digest('base64url');
export const random = () => randomBytes(32).toString('base64url');

/** Who completes a connection: a signed-in admin user, or whoever opened a connect link. */
type Completer = { actor: User } | { linkHash: string };

function unavailable(err: unknown): never {
  if (err instanceof UpstreamError && err.retryable) throw new ServiceUnavailable(`Xero is not answering: ${err.message}`, err.retryAfterSeconds ?? 30);
  if (err instanceof UpstreamError) throw new XeroConnectProblem(message('errors:xeroRefused', { detail: err.message }));
  throw err;
}

/** The consent page's URL at Xero, for a new merchant (operators) or to reconnect `merchantId`. */
export async function startConnect(deps: XeroOAuthDeps, actor: User, sessionHash: string, merchantId: string | null): Promise<string> {
  if (merchantId) await merchantToChange(deps, actor, merchantId);
  else if (actor.role !== 'operator') throw new NotFound('only operators connect new merchants');
  return authorisationUrl(deps, { sessionHash, userId: actor.id, merchantId });
}

/** A new authorisation request at Xero, bound to the browser's session and to a user or a connect link. */
export async function authorisationUrl(
  deps: XeroOAuthDeps,
  by: { sessionHash: string; userId: string | null; connectLinkHash?: string; merchantId: string | null },
): Promise<string> {
  const state = random();
  const codeVerifier = random();
  const nonce = random();
  const now = deps.clock();
  await deps.stores.xeroConnections.createState(
    { ...by, stateHash: sha256(state), codeVerifier, nonce, expiresAt: new Date(now.getTime() + STATE_TTL_MS) },
    now,
  );
  return deps.xeroOAuth.authorizationUrl({ state, nonce, codeChallenge: sha256(codeVerifier) });
}

/** A state started from a connect link is completed by its browser alone; any other only by the user who started it. */
function completer(taken: Pick<OAuthState, 'userId' | 'connectLinkHash'>, actor: User | null): Completer | null {
  if (taken.connectLinkHash) return { linkHash: taken.connectLinkHash };
  return actor && taken.userId === actor.id ? { actor } : null;
}

export type CallbackResult =
  | { kind: 'connected'; merchantId: string; reconnected: boolean; viaLink: boolean; organisation: string }
  | { kind: 'pick'; pickToken: string; tenants: PendingTenant[] };

const STATE_PROBLEMS = {
  unknown: 'errors:xeroStateUnknown',
  replayed: 'errors:xeroStateReplayed',
  foreign: 'errors:xeroStateForeign',
} as const;

/** Xero sent the browser back: check the state, exchange the code, find the organisation(s). */
export async function finishCallback(deps: XeroOAuthDeps, actor: User | null, sessionHash: string, query: Record<string, string>): Promise<CallbackResult> {
  const now = deps.clock();
  if (!query.state) throw new XeroConnectProblem('errors:xeroNoState');
  const taken = await deps.stores.xeroConnections.takeState(sha256(query.state), sessionHash, now);
  if (typeof taken === 'string') throw new XeroConnectProblem(STATE_PROBLEMS[taken], taken === 'foreign' ? 403 : 400);
  const who = completer(taken, actor);
  if (!who) throw new XeroConnectProblem(STATE_PROBLEMS.foreign, 403);
  if (taken.expiresAt.getTime() <= now.getTime()) throw new XeroConnectProblem('errors:xeroConnectExpired');
  if (query.error === 'access_denied') throw new XeroConnectProblem('errors:xeroDenied');
  if (query.error) throw new XeroConnectProblem(message('errors:xeroAnsweredError', { error: query.error.slice(0, 100) }));
  if (!query.code) throw new XeroConnectProblem('errors:xeroNoCode');

  let tokens: XeroTokenSet;
  try {
    tokens = await deps.xeroOAuth.exchangeCode({ query, state: query.state, nonce: taken.nonce, codeVerifier: taken.codeVerifier });
  } catch (err) {
    if (err instanceof OAuthRefused) throw new XeroConnectProblem(message('errors:xeroConnectRefused', { detail: err.message }));
    return unavailable(err);
  }
  const all = await deps.xeroOAuth.connections(tokens).catch(unavailable);
  const orgs = all.filter((c) => c.tenantType === 'ORGANISATION' && c.tenantId);
  if (!orgs.length) throw new XeroConnectProblem("No Xero organisation was connected. Start again and tick an organisation on Xero's page.");

  if (taken.merchantId) {
    const merchant = await deps.stores.merchants.byId(taken.merchantId);
    const own = merchant?.xeroConnection === 'oauth' ? orgs.find((o) => o.tenantId === merchant.xero.tenantId) : undefined;
    if (own) return connected(deps, who, taken.merchantId, tokens, own);
  }
  if (orgs.length === 1) return connected(deps, who, taken.merchantId, tokens, orgs[0]);
  const pickToken = random();
  const tenants = orgs.map((o) => ({ tenantId: o.tenantId, tenantName: o.tenantName, connectionId: o.connectionId }));
  await deps.stores.xeroConnections.holdForPick(sha256(query.state), sha256(pickToken), tokens, tenants);
  return { kind: 'pick', pickToken, tenants };
}

/** The organisations waiting for a choice (null when the choice expired or was made). */
export async function pendingPick(deps: XeroOAuthDeps, sessionHash: string, pickToken: string) {
  return deps.stores.xeroConnections.pendingPick(sha256(pickToken), sessionHash, deps.clock());
}

/** The user picked one of several organisations. */
export async function pickOrganisation(
  deps: XeroOAuthDeps,
  actor: User | null,
  sessionHash: string,
  pickToken: string,
  tenantId: string,
): Promise<CallbackResult> {
  const held = await deps.stores.xeroConnections.pendingPick(sha256(pickToken), sessionHash, deps.clock());
  if (!held) throw new XeroConnectProblem('errors:xeroChoiceExpired');
  const chosen = held.tenants.find((t) => t.tenantId === tenantId);
  if (!chosen) throw new XeroConnectProblem('errors:orgChoose', 422);
  const taken = await deps.stores.xeroConnections.takePick(sha256(pickToken), sessionHash, deps.clock());
  const who = taken && completer(taken, actor);
  if (!who) throw new XeroConnectProblem('errors:xeroChoiceExpired');
  return connected(deps, who, taken.merchantId, taken.tokens, { ...chosen, tenantType: 'ORGANISATION' });
}

async function connected(deps: XeroOAuthDeps, who: Completer, merchantId: string | null, tokens: XeroTokenSet, conn: XeroConnection): Promise<CallbackResult> {
  const org = await deps.xeroOAuth.organisation(tokens, conn.tenantId).catch(unavailable);
  const now = deps.clock();
  const holder = await deps.stores.xeroConnections.holderOf(conn.tenantId, org.shortCode);
  const taken = () => new XeroConnectProblem(message('errors:orgConnectedElsewhere', { name: org.name, shortCode: org.shortCode }), 409);
  const link = 'linkHash' in who ? who.linkHash : undefined;
  const by = 'actor' in who ? who.actor.id : 'connect-link';
  const done = (id: string, reconnected: boolean): CallbackResult => ({
    kind: 'connected',
    merchantId: id,
    reconnected,
    viaLink: Boolean(link),
    organisation: org.name,
  });
  if (merchantId) {
    const merchant = 'actor' in who ? await merchantToChange(deps, who.actor, merchantId) : await deps.stores.merchants.byId(merchantId);
    if (!merchant) throw new XeroConnectProblem('errors:connectLinkUnknown', 404);
    if (awaitingXero(merchant)) {
      if (holder) throw taken();
      try {
        const first = {
          tenantId: conn.tenantId,
          shortCode: org.shortCode,
          clientId: deps.xeroOAuth.clientId,
          tokens,
          isDemoCompany: org.isDemoCompany ?? false,
        };
        await deps.stores.xeroConnections.connectPending(merchant.id, first, now, link);
      } catch (err) {
        if (err instanceof ShortCodeTakenError) throw taken();
        if (err instanceof ConnectLinkSpent || err instanceof OrganisationTakenError) throw new XeroConnectProblem('errors:connectLinkUsed', 410);
        throw err;
      }
      await recordChange(deps, 'actor' in who ? who.actor : null, merchant.id, 'xero_connected', {
        organisation: org.name,
        via: link ? 'connect link' : 'admin',
      });
      deps.logger.info({ merchantId: merchant.id, shortCode: org.shortCode, by }, 'merchant connected to xero (oauth, first time)');
      return done(merchant.id, false);
    }
    const same = merchant.xeroConnection === 'oauth' ? merchant.xero.tenantId === conn.tenantId : merchant.shortCode === org.shortCode;
    if (!same)
      throw new XeroConnectProblem(
        message('errors:orgMismatch', { org: org.name, orgShortCode: org.shortCode, merchant: merchant.name, merchantShortCode: merchant.shortCode }),
        409,
      );
    if (holder && holder !== merchant.id) throw taken();
    try {
      await deps.stores.xeroConnections.reconnect(merchant.id, { tenantId: conn.tenantId, clientId: deps.xeroOAuth.clientId, tokens }, now, link);
    } catch (err) {
      if (err instanceof ConnectLinkSpent) throw new XeroConnectProblem('errors:connectLinkUsed', 410);
      throw err;
    }
    await recordChange(deps, 'actor' in who ? who.actor : null, merchant.id, 'xero_connected', {
      organisation: org.name,
      via: link ? 'connect link' : 'admin',
    });
    deps.logger.info({ merchantId: merchant.id, by }, 'xero reconnected (oauth)');
    return done(merchant.id, true);
  }
  if (holder) throw taken();
  try {
    const id = await deps.stores.xeroConnections.addOAuthMerchant(
      {
        name: org.name || org.shortCode,
        shortCode: org.shortCode,
        tenantId: conn.tenantId,
        clientId: deps.xeroOAuth.clientId,
        tokens,
        isDemoCompany: org.isDemoCompany,
      },
      now,
    );
    deps.logger.info({ merchantId: id, shortCode: org.shortCode, by }, 'merchant added (xero oauth)');
    return done(id, false);
  } catch (err) {
    if (err instanceof ShortCodeTakenError) throw taken();
    throw err;
  }
}

/** Revoke at Xero, remove the connection, forget our tokens; the merchant's jobs wait for a reconnect. */
export async function disconnectXero(deps: XeroOAuthDeps, actor: User, merchantId: string, confirmed: boolean): Promise<void> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  // A destructive action: the form's confirmation must come with it.
  if (!confirmed) throw new XeroConnectProblem('errors:confirmDisconnect', 422);
  if (merchant.xeroConnection !== 'oauth') throw new XeroConnectProblem('errors:customConnectionRemove', 409);
  const tokens = await deps.stores.xeroTokens.current(merchant.id);
  if (tokens) {
    try {
      if (tokens.expiresAt.getTime() > deps.clock().getTime()) {
        const conn = (await deps.xeroOAuth.connections(tokens)).find((c) => c.tenantId === merchant.xero.tenantId);
        if (conn) await deps.xeroOAuth.deleteConnection(tokens, conn.connectionId);
      }
      await deps.xeroOAuth.revoke(tokens);
    } catch (err) {
      // A token Xero no longer accepts needs no revoking; anything else: try again later, nothing changed.
      if (!(err instanceof UpstreamError && err.status === 401)) unavailable(err);
    }
  }
  await deps.stores.xeroConnections.disconnect(merchant.id, encodeMessage(message('errors:disconnectedBy', { email: actor.email })), deps.clock());
  await recordChange(deps, actor, merchant.id, 'xero_disconnected', {});
  deps.logger.info({ merchantId: merchant.id, by: actor.id }, 'xero disconnected');
}
