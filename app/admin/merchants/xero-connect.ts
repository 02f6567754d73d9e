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
import { ShortCodeTakenError } from '../../store/merchants.js';
import type { PendingTenant } from '../../store/xero-connections.js';
import { DomainError, NotFound, ServiceUnavailable } from '../../errors.js';
import { OAuthRefused, UpstreamError, type XeroConnection, type XeroOAuth, type XeroTokenSet } from '../../clients/types.js';
import { merchantFor } from './service.js';

export interface XeroOAuthDeps {
  stores: Stores;
  xeroOAuth: XeroOAuth;
  clock: Clock;
  logger: Logger;
}

export const STATE_TTL_MS = 10 * 60_000;

/** Why connecting did not happen, in words for the admin page; nothing was saved. */
export class XeroConnectProblem extends DomainError {
  override readonly messageKey = 'badRequest';
  override readonly publicReason: string;
  constructor(
    readonly reason: string,
    override readonly status: number = 400,
  ) {
    super(reason);
    this.publicReason = reason;
  }
}

const sha256 = (v: string) => createHash('sha256').update(v).digest('base64url');
const random = () => randomBytes(32).toString('base64url');

function unavailable(err: unknown): never {
  if (err instanceof UpstreamError && err.retryable) throw new ServiceUnavailable(`Xero is not answering: ${err.message}`, err.retryAfterSeconds ?? 30);
  if (err instanceof UpstreamError) throw new XeroConnectProblem(`Xero refused: ${err.message}`);
  throw err;
}

/** The consent page's URL at Xero, for a new merchant (operators) or to reconnect `merchantId`. */
export async function startConnect(deps: XeroOAuthDeps, actor: User, sessionHash: string, merchantId: string | null): Promise<string> {
  if (merchantId) await merchantFor(deps, actor, merchantId);
  else if (actor.role !== 'operator') throw new NotFound('only operators connect new merchants');
  const state = random();
  const codeVerifier = random();
  const nonce = random();
  const now = deps.clock();
  await deps.stores.xeroConnections.createState(
    { stateHash: sha256(state), sessionHash, userId: actor.id, merchantId, codeVerifier, nonce, expiresAt: new Date(now.getTime() + STATE_TTL_MS) },
    now,
  );
  return deps.xeroOAuth.authorizationUrl({ state, nonce, codeChallenge: sha256(codeVerifier) });
}

export type CallbackResult = { kind: 'connected'; merchantId: string; reconnected: boolean } | { kind: 'pick'; pickToken: string; tenants: PendingTenant[] };

const STATE_PROBLEMS = {
  unknown: 'This answer from Xero does not belong to a connection started here (or it is too old). Start again with "Connect to Xero".',
  replayed: 'This answer from Xero was already used. Start again with "Connect to Xero".',
  foreign: 'This answer from Xero belongs to a connection started in another browser session. Start again with "Connect to Xero" here.',
} as const;

/** Xero sent the browser back: check the state, exchange the code, find the organisation(s). */
export async function finishCallback(deps: XeroOAuthDeps, actor: User, sessionHash: string, query: Record<string, string>): Promise<CallbackResult> {
  const now = deps.clock();
  if (!query.state) throw new XeroConnectProblem('The answer from Xero has no state. Start again with "Connect to Xero".');
  const taken = await deps.stores.xeroConnections.takeState(sha256(query.state), sessionHash, now);
  if (typeof taken === 'string') throw new XeroConnectProblem(STATE_PROBLEMS[taken], taken === 'foreign' ? 403 : 400);
  if (taken.userId !== actor.id) throw new XeroConnectProblem(STATE_PROBLEMS.foreign, 403);
  if (taken.expiresAt.getTime() <= now.getTime())
    throw new XeroConnectProblem('The connection took more than ten minutes and expired. Start again with "Connect to Xero".');
  if (query.error === 'access_denied')
    throw new XeroConnectProblem('You did not allow access at Xero, so nothing was connected. Start again when you are ready.');
  if (query.error) throw new XeroConnectProblem(`Xero answered with an error: ${query.error.slice(0, 100)}.`);
  if (!query.code) throw new XeroConnectProblem('The answer from Xero has no authorisation code. Start again with "Connect to Xero".');

  let tokens: XeroTokenSet;
  try {
    tokens = await deps.xeroOAuth.exchangeCode({ query, state: query.state, nonce: taken.nonce, codeVerifier: taken.codeVerifier });
  } catch (err) {
    if (err instanceof OAuthRefused) throw new XeroConnectProblem(`${err.message}. Start again with "Connect to Xero".`);
    return unavailable(err);
  }
  const all = await deps.xeroOAuth.connections(tokens).catch(unavailable);
  const orgs = all.filter((c) => c.tenantType === 'ORGANISATION' && c.tenantId);
  if (!orgs.length) throw new XeroConnectProblem("No Xero organisation was connected. Start again and tick an organisation on Xero's page.");

  if (taken.merchantId) {
    const merchant = await deps.stores.merchants.byId(taken.merchantId);
    const own = merchant?.xeroConnection === 'oauth' ? orgs.find((o) => o.tenantId === merchant.xero.tenantId) : undefined;
    if (own) return connected(deps, actor, taken.merchantId, tokens, own);
  }
  if (orgs.length === 1) return connected(deps, actor, taken.merchantId, tokens, orgs[0]);
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
export async function pickOrganisation(deps: XeroOAuthDeps, actor: User, sessionHash: string, pickToken: string, tenantId: string): Promise<CallbackResult> {
  const held = await deps.stores.xeroConnections.pendingPick(sha256(pickToken), sessionHash, deps.clock());
  if (!held) throw new XeroConnectProblem('This choice of organisation expired or was already made. Start again with "Connect to Xero".');
  const chosen = held.tenants.find((t) => t.tenantId === tenantId);
  if (!chosen) throw new XeroConnectProblem('Choose one of the organisations listed.', 422);
  const taken = await deps.stores.xeroConnections.takePick(sha256(pickToken), sessionHash, deps.clock());
  if (!taken || taken.userId !== actor.id)
    throw new XeroConnectProblem('This choice of organisation expired or was already made. Start again with "Connect to Xero".');
  return connected(deps, actor, taken.merchantId, taken.tokens, { ...chosen, tenantType: 'ORGANISATION' });
}

async function connected(deps: XeroOAuthDeps, actor: User, merchantId: string | null, tokens: XeroTokenSet, conn: XeroConnection): Promise<CallbackResult> {
  const org = await deps.xeroOAuth.organisation(tokens, conn.tenantId).catch(unavailable);
  const now = deps.clock();
  const holder = await deps.stores.xeroConnections.holderOf(conn.tenantId, org.shortCode);
  const taken = () =>
    new XeroConnectProblem(
      `The Xero organisation ${org.name} (ShortCode ${org.shortCode}) is already connected to another merchant here. Nothing was saved.`,
      409,
    );
  if (merchantId) {
    const merchant = await merchantFor(deps, actor, merchantId);
    const same = merchant.xeroConnection === 'oauth' ? merchant.xero.tenantId === conn.tenantId : merchant.shortCode === org.shortCode;
    if (!same)
      throw new XeroConnectProblem(
        `You chose ${org.name} (ShortCode ${org.shortCode}) at Xero, but this merchant is ${merchant.name} (ShortCode ${merchant.shortCode}). Reconnect with that organisation. Nothing was saved.`,
        409,
      );
    if (holder && holder !== merchant.id) throw taken();
    await deps.stores.xeroConnections.reconnect(merchant.id, { tenantId: conn.tenantId, clientId: deps.xeroOAuth.clientId, tokens }, now);
    deps.logger.info({ merchantId: merchant.id, by: actor.id }, 'xero reconnected (oauth)');
    return { kind: 'connected', merchantId: merchant.id, reconnected: true };
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
    deps.logger.info({ merchantId: id, shortCode: org.shortCode, by: actor.id }, 'merchant added (xero oauth)');
    return { kind: 'connected', merchantId: id, reconnected: false };
  } catch (err) {
    if (err instanceof ShortCodeTakenError) throw taken();
    throw err;
  }
}

/** Revoke at Xero, remove the connection, forget our tokens; the merchant's jobs wait for a reconnect. */
export async function disconnectXero(deps: XeroOAuthDeps, actor: User, merchantId: string): Promise<void> {
  const merchant = await merchantFor(deps, actor, merchantId);
  if (merchant.xeroConnection !== 'oauth') throw new XeroConnectProblem('This merchant uses a Custom Connection: remove it in the Xero Developer portal.', 409);
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
  await deps.stores.xeroConnections.disconnect(merchant.id, `disconnected by ${actor.email}`, deps.clock());
  deps.logger.info({ merchantId: merchant.id, by: actor.id }, 'xero disconnected');
}
