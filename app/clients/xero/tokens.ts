/**
 * Access tokens for each organisation: client_credentials for Custom Connections, the stored
 * (and refreshed) OAuth 2.0 token set for merchants who connected with "Connect to Xero".
 */
import type { Logger } from 'pino';
import { XeroClient } from './sdk.js';
import { UpstreamError } from '../types.js';
import { encodeMessage, message } from '../../i18n/index.js';
import { XeroDisconnected, errorText, oauthError, readFailure, toUpstreamError, unexpected } from './errors.js';
import { routedTo, type Route } from './routing.js';
import type { XeroCredentials, XeroKeepAliveResult, XeroTokenSet, XeroTokenStore } from './types.js';

const REFRESH_EARLY_MS = 60_000;
const DEFAULT_TOKEN_SECONDS = 1800;

/** One organisation's SDK instance and the state of its token. */
export interface Session {
  sdk: XeroClient;
  clientSecret: string;
  refreshAt?: number; // epoch ms (injected clock) when the cached token must be replaced
  /** A token fetch under way; true when it issued or refreshed a token (not merely loaded the stored one). */
  pending?: Promise<boolean>;
  /** The access token in use, so a 401 for it can ask for a refresh. */
  accessToken?: string;
  /** Operations Xero refused with 401 for a just-issued token (a scope, not expiry), and when (epoch ms, injected clock). */
  refused: Map<string, number>;
  /** Custom Connections: the connection refused our scope list (invalid_scope); ask for none, so for all it was given. */
  noScopes?: boolean;
}

interface SessionOptions {
  route: Route;
  now: () => Date;
  scopes: string[];
  logger?: Logger;
  /** The gateway's Xero app, for merchants connected with OAuth 2.0 (their credentials carry `oauth`). */
  oauth?: { clientId: string; clientSecret: string; tokens: XeroTokenStore };
}

export interface Sessions {
  sessionFor(creds: XeroCredentials): Session;
  /** true when this call had a token issued or refreshed (so a 401 is not a stale-token problem). `rejected`: the access token Xero just refused. */
  ensureToken(session: Session, creds: XeroCredentials, rejected?: string): Promise<boolean>;
  /** OAuth: takes the stored token set when it is not the one in use (a reconnect stored another); true when it did. */
  takeStored(session: Session, creds: XeroCredentials): Promise<boolean>;
  /** Refreshes an OAuth merchant's token set unless it was refreshed after `idleBefore` (the keep-alive). */
  keepAlive(merchantId: string, idleBefore: Date): Promise<XeroKeepAliveResult>;
}

export function createSessions(opts: SessionOptions): Sessions {
  const { route, now, scopes } = opts;
  const log = opts.logger;
  const sessions = new Map<string, Session>();

  function sessionFor(creds: XeroCredentials): Session {
    if (creds.oauth) return oauthSession(creds.oauth.merchantId);
    const existing = sessions.get(creds.clientId);
    if (existing && existing.clientSecret === creds.clientSecret) return existing;
    const session = newSession(creds.clientId, creds.clientSecret, 'client_credentials');
    sessions.set(creds.clientId, session);
    return session;
  }

  function newSession(clientId: string, clientSecret: string, grantType: 'client_credentials' | 'authorization_code'): Session {
    const sdk = sdkFor(clientId, clientSecret, grantType, scopes);
    return { sdk, clientSecret, refused: new Map() };
  }

  function sdkFor(clientId: string, clientSecret: string, grantType: 'client_credentials' | 'authorization_code', withScopes: string[]): XeroClient {
    const sdk = new XeroClient({ clientId, clientSecret, grantType, scopes: withScopes });
    sdk.accountingApi.basePath = `${route.apiUrl}/api.xro/2.0`;
    return sdk;
  }

  async function fetchToken(session: Session, clientId: string): Promise<boolean> {
    session.refreshAt = undefined;
    try {
      let tokenSet;
      try {
        tokenSet = await session.sdk.getClientCredentialsToken();
      } catch (err) {
        const f = readFailure(err);
        if (session.noScopes || !f || f.status !== 400 || oauthError(f.body) !== 'invalid_scope') throw err;
        // A connection authorised without one of our scopes refuses the whole list (XeroAPI/xero-mcp-server#139);
        // asking for none gets what it was given, and a call needing the missing one fails alone (XeroScopeMissing).
        log?.warn({ clientId, scopes }, 'xero: the custom connection lacks some of the scopes asked for (invalid_scope); asking for those it was given');
        session.noScopes = true;
        session.sdk = sdkFor(clientId, session.clientSecret, 'client_credentials', []);
        tokenSet = await session.sdk.getClientCredentialsToken();
      }
      const seconds = typeof tokenSet.expires_in === 'number' ? tokenSet.expires_in : DEFAULT_TOKEN_SECONDS;
      session.refreshAt = now().getTime() + seconds * 1000 - REFRESH_EARLY_MS;
      session.accessToken = tokenSet.access_token;
      log?.debug({ clientId, expiresIn: seconds }, 'xero: new access token');
      return true;
    } catch (err) {
      throw toUpstreamError(err, 'token', now) ?? unexpected(`token response: ${errorText(err)}`);
    }
  }

  async function ensureToken(session: Session, creds: XeroCredentials, rejected?: string): Promise<boolean> {
    if (session.refreshAt !== undefined && now().getTime() < session.refreshAt) return false;
    // One token fetch per organisation at a time in this process; the others wait for it.
    session.pending ??= (creds.oauth ? loadOAuthToken(session, creds.oauth.merchantId, rejected) : fetchToken(session, creds.clientId)).finally(() => {
      session.pending = undefined;
    });
    return await session.pending;
  }

  async function takeStored(session: Session, creds: XeroCredentials): Promise<boolean> {
    if (!creds.oauth) return false;
    await session.pending;
    const stored = await oauthApp().tokens.current(creds.oauth.merchantId);
    if (!stored || stored.accessToken === session.accessToken || stored.expiresAt.getTime() - REFRESH_EARLY_MS <= now().getTime()) return false;
    useTokens(session, stored);
    return true;
  }

  // ---------- OAuth 2.0 merchants ----------

  function oauthApp() {
    if (!opts.oauth)
      throw new UpstreamError('xero', 'unauthorized', 'this merchant is connected with OAuth, but the gateway has no Xero app configured (XERO_CLIENT_ID)');
    return opts.oauth;
  }

  function oauthSession(merchantId: string): Session {
    const key = `oauth:${merchantId}`;
    const existing = sessions.get(key);
    if (existing) return existing;
    const app = oauthApp();
    const session = newSession(app.clientId, app.clientSecret, 'authorization_code');
    sessions.set(key, session);
    return session;
  }

  /**
   * The stored token set, refreshed when it is (about to be) expired or was just refused. The
   * refresh happens under the token row's lock (tokens.refreshLocked): a process that waited for
   * the lock finds the set another one stored and does not refresh again. The rotated refresh
   * token is committed before the new access token is used.
   */
  async function loadOAuthToken(session: Session, merchantId: string, rejected?: string): Promise<boolean> {
    const app = oauthApp();
    session.refreshAt = undefined;
    const usable = (t: XeroTokenSet) => t.expiresAt.getTime() - REFRESH_EARLY_MS > now().getTime() && t.accessToken !== rejected;
    const stored = await app.tokens.current(merchantId);
    if (!stored) throw new XeroDisconnected(merchantId, 'no token set stored');
    // A stored set may be as old as its expiry allows: only one refreshed here, or by another
    // process after Xero refused ours, is known to be new.
    const tokens = usable(stored) ? stored : (await refreshUnless(session, merchantId, usable)).tokens;
    useTokens(session, tokens);
    return tokens !== stored || rejected !== undefined;
  }

  /**
   * Xero's refresh grant under the token row's lock, unless `keep` says the stored set (maybe
   * stored by another process while this one waited) will do. invalid_grant disconnects the
   * merchant (the store drops the set and marks them) and throws XeroDisconnected.
   */
  async function refreshUnless(
    session: Session,
    merchantId: string,
    keep: (stored: XeroTokenSet) => boolean,
  ): Promise<{ tokens: XeroTokenSet; refreshed: boolean }> {
    const app = oauthApp();
    const outcome = await app.tokens.refreshLocked(merchantId, async (stored) => {
      if (keep(stored)) return { kind: 'fresh', tokens: stored };
      try {
        const set = await session.sdk.refreshWithRefreshToken(app.clientId, app.clientSecret, stored.refreshToken);
        log?.info({ merchantId }, 'xero: access token refreshed');
        return { kind: 'refreshed', tokens: tokenSetOf(set, now()) };
      } catch (err) {
        const f = readFailure(err);
        if (f && f.status === 400 && oauthError(f.body) === 'invalid_grant') {
          log?.warn({ merchantId }, 'xero: refresh token refused (invalid_grant); merchant disconnected');
          // A message key, not words: the admin shows it in its reader's language.
          return { kind: 'revoked', reason: encodeMessage(message('errors:xeroRefreshRefused', { code: 'invalid_grant' })), at: now() };
        }
        throw toUpstreamError(err, 'token', now) ?? unexpected(`refresh response: ${errorText(err)}`);
      }
    });
    if (!outcome) throw new XeroDisconnected(merchantId, 'no token set stored');
    if (outcome.kind === 'revoked') throw new XeroDisconnected(merchantId, outcome.reason);
    return { tokens: outcome.tokens, refreshed: outcome.kind === 'refreshed' };
  }

  function useTokens(session: Session, tokens: XeroTokenSet): void {
    session.sdk.setTokenSet({ access_token: tokens.accessToken, refresh_token: tokens.refreshToken, token_type: 'Bearer' });
    session.accessToken = tokens.accessToken;
    session.refreshAt = tokens.expiresAt.getTime() - REFRESH_EARLY_MS;
  }

  /**
   * Xero drops a refresh token unused for 60 days: this uses it. Access tokens live 30 minutes, so
   * a set whose access token expired before `idleBefore` was last refreshed before then too.
   */
  async function keepAlive(merchantId: string, idleBefore: Date): Promise<XeroKeepAliveResult> {
    const session = oauthSession(merchantId);
    let result: XeroKeepAliveResult = 'recent';
    // After this process's own refresh of the organisation, if one is under way (it may make this one unneeded).
    await session.pending;
    // Like the API calls (call.ts), the refresh goes to the configured identity URL.
    session.pending = routedTo(route, () => refreshUnless(session, merchantId, (stored) => stored.expiresAt.getTime() >= idleBefore.getTime()))
      .then(({ tokens, refreshed }) => {
        if (refreshed) result = 'refreshed';
        useTokens(session, tokens);
        return refreshed;
      })
      .finally(() => {
        session.pending = undefined;
      });
    await session.pending;
    return result;
  }

  return { sessionFor, ensureToken, takeStored, keepAlive };
}

/** xero-node's TokenSet (openid-client) → ours; expires_in counts from `at`. */
export function tokenSetOf(
  set: { access_token?: string; refresh_token?: string; id_token?: string; scope?: string; expires_in?: number; expires_at?: number },
  at: Date,
): XeroTokenSet {
  if (!set.access_token || !set.refresh_token) throw unexpected('token set without access_token or refresh_token (is offline_access in the scopes?)');
  const seconds = typeof set.expires_in === 'number' && set.expires_in > 0 ? set.expires_in : DEFAULT_TOKEN_SECONDS;
  return {
    accessToken: set.access_token,
    refreshToken: set.refresh_token,
    expiresAt: new Date(at.getTime() + seconds * 1000),
    ...(set.id_token ? { idToken: set.id_token } : {}),
    ...(set.scope ? { scope: set.scope } : {}),
  };
}
