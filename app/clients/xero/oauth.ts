/**
 * "Connect to Xero": the OAuth 2.0 authorization-code flow with PKCE, through xero-node.
 *
 * xero-node's initialize() discovers https://identity.xero.com with openid-client's own HTTP stack
 * (our axios interceptor never sees it), so instead we give the SDK an openid-client Client built
 * from configured metadata: the same endpoints Xero publishes, or the simulator's. It is the very
 * openid-client instance xero-node loads (required from xero-node's location), so buildConsentUrl()
 * and apiCallback() run unchanged; the subclass only adds PKCE (S256) and the nonce, which the
 * SDK's methods do not pass. /connections, refresh and DELETE /connections go through axios and so
 * through routing.ts's interceptor; revocation through openid-client to the configured URL.
 */
import type { Logger } from 'pino';
import type * as OpenId from 'openid-client';
import { XeroClient } from './sdk.js';
import { UpstreamError } from '../types.js';
import { OAuthRefused, readFailure, toUpstreamError } from './errors.js';
import { mapOrganisation } from './mappers.js';
import { requireFromXeroNode, routeOf, routedTo } from './routing.js';
import { tokenSetOf } from './tokens.js';
import type { XeroConnection, XeroOAuth, XeroTokenSet } from './types.js';

export interface XeroOAuthOptions {
  clientId: string;
  clientSecret: string;
  /** {PUBLIC_URL}/admin/xero/callback, registered with the Xero app. */
  redirectUri: string;
  scopes: string[];
  /** e.g. https://login.xero.com: the consent page is {loginUrl}/identity/connect/authorize. */
  loginUrl: string;
  /** e.g. https://identity.xero.com: token, revocation and JWKS endpoints; also the id_token issuer. */
  identityUrl: string;
  /** e.g. https://api.xero.com */
  apiUrl: string;
  timeoutMs?: number;
  now?: () => Date;
  logger?: Logger;
}

// The scopes are the configuration's default (XERO_SCOPES), hence listed in config/constants.ts.
export { DEFAULT_OAUTH_SCOPES } from '../../../config/constants.js';

const AUTHORIZE_PATH = '/identity/connect/authorize';

type OpenIdModule = typeof OpenId;
const openid = requireFromXeroNode('openid-client') as OpenIdModule;

interface Pkce {
  codeChallenge?: string;
  codeVerifier?: string;
  nonce: string;
}

export function createXeroOAuth(opts: XeroOAuthOptions): XeroOAuth {
  const urls = routeOf(opts);
  const identity = urls.identityUrl;
  const now = opts.now ?? (() => new Date());
  openid.custom.setHttpOptionsDefaults({ timeout: urls.timeoutMs });
  const issuer = new openid.Issuer({
    issuer: identity,
    authorization_endpoint: `${opts.loginUrl.replace(/\/+$/, '')}${AUTHORIZE_PATH}`,
    token_endpoint: `${identity}/connect/token`,
    revocation_endpoint: `${identity}/connect/revocation`,
    jwks_uri: `${identity}/.well-known/openid-configuration/jwks`,
    id_token_signing_alg_values_supported: ['RS256'],
    code_challenge_methods_supported: ['S256'],
  });
  const metadata = { client_id: opts.clientId, client_secret: opts.clientSecret, redirect_uris: [opts.redirectUri], response_types: ['code'] };

  /** The SDK's client with PKCE and the nonce added to what xero-node asks openid-client for. */
  class PkceClient extends issuer.Client {
    constructor(private readonly pkce: Pkce) {
      super(metadata);
    }
    override authorizationUrl(params: OpenId.AuthorizationParameters = {}): string {
      return super.authorizationUrl({ ...params, nonce: this.pkce.nonce, code_challenge: this.pkce.codeChallenge, code_challenge_method: 'S256' });
    }
    override callback(uri: string | undefined, params: OpenId.CallbackParamsType, checks: OpenId.OpenIDCallbackChecks = {}, extras?: OpenId.CallbackExtras) {
      return super.callback(uri, params, { ...checks, nonce: this.pkce.nonce, code_verifier: this.pkce.codeVerifier, response_type: 'code' }, extras);
    }
  }

  function sdkFor(pkce: Pkce, state?: string, tokens?: XeroTokenSet): XeroClient {
    const sdk = new XeroClient({
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      redirectUris: [opts.redirectUri],
      scopes: opts.scopes,
      ...(state ? { state } : {}),
    });
    sdk.openIdClient = new PkceClient(pkce) as unknown as XeroClient['openIdClient'];
    sdk.openIdClient[openid.custom.clock_tolerance] = 5;
    sdk.accountingApi.basePath = `${urls.apiUrl}/api.xro/2.0`;
    if (tokens) sdk.setTokenSet({ access_token: tokens.accessToken, refresh_token: tokens.refreshToken, token_type: 'Bearer' });
    return sdk;
  }

  const upstream = (err: unknown, what: string): Error => toUpstreamError(err, 'api', now) ?? networkOrUnexpected(err, what);
  /** An SDK call with a connected user's tokens, routed to the configured URLs. */
  const asUser = <T>(tokens: XeroTokenSet, fn: (sdk: XeroClient) => Promise<T>): Promise<T> => {
    const sdk = sdkFor({ nonce: '' }, undefined, tokens);
    return routedTo(urls, () => fn(sdk));
  };

  return {
    clientId: opts.clientId,
    scopes: opts.scopes,

    async authorizationUrl({ state, nonce, codeChallenge }) {
      return (await sdkFor({ codeChallenge, nonce }, state).buildConsentUrl()) as string;
    },

    async exchangeCode({ query, state, nonce, codeVerifier }) {
      const sdk = sdkFor({ codeVerifier, nonce }, state);
      try {
        return tokenSetOf(await sdk.apiCallback(`${opts.redirectUri}?${new URLSearchParams(query)}`), now());
      } catch (err) {
        const e = err as { name?: string; error?: string; error_description?: string; message?: string };
        if (e?.name === 'OPError') throw new OAuthRefused(`Xero refused the authorisation code: ${e.error_description ?? e.error ?? e.message}`);
        if (e?.name === 'RPError') throw new OAuthRefused(`Xero's answer failed our checks: ${e.message}`);
        throw networkOrUnexpected(err, 'code exchange');
      }
    },

    async connections(tokens) {
      try {
        const rows = (await asUser(tokens, (sdk) => sdk.updateTenants(false))) as Record<string, unknown>[];
        return rows.map((c): XeroConnection => ({
          connectionId: String(c.id ?? ''),
          tenantId: String(c.tenantId ?? ''),
          tenantName: String(c.tenantName ?? ''),
          tenantType: String(c.tenantType ?? ''),
        }));
      } catch (err) {
        throw upstream(err, 'connections');
      }
    },

    async organisation(tokens, tenantId) {
      try {
        const res = await asUser(tokens, (sdk) => sdk.accountingApi.getOrganisations(tenantId));
        return mapOrganisation(res.body.organisations?.[0]);
      } catch (err) {
        throw upstream(err, 'organisation');
      }
    },

    async deleteConnection(tokens, connectionId) {
      try {
        await asUser(tokens, (sdk) => sdk.disconnect(connectionId));
      } catch (err) {
        // Already gone at Xero is what we wanted.
        if (readFailure(err)?.status === 404) return;
        throw upstream(err, 'disconnect');
      }
    },

    async revoke(tokens) {
      try {
        await asUser(tokens, (sdk) => sdk.revokeToken());
      } catch (err) {
        const e = err as { name?: string; error?: string };
        // Revoking a token Xero no longer knows is not a failure.
        if (e?.name === 'OPError' && e.error === 'invalid_grant') return;
        throw networkOrUnexpected(err, 'revocation');
      }
    },
  };
}

function networkOrUnexpected(err: unknown, what: string): UpstreamError {
  const e = err as { name?: string; message?: string; error?: string };
  if (e?.name === 'OPError') return new UpstreamError('xero', 'rejected', `${what}: ${e.error ?? e.message}`);
  return new UpstreamError('xero', 'unavailable', `${what}: ${e?.message ?? 'network error'}`);
}
