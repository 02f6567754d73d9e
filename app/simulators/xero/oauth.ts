/**
 * The OAuth 2.0 side of the Xero simulator ("Connect to Xero"): the login/consent page at
 * /identity/connect/authorize, the authorization_code grant with PKCE (S256), refresh_token with
 * rotation (the old refresh token keeps working for 30 minutes), revocation, id_tokens signed
 * RS256 with a JWKS, and the connections each consent creates. One simulated Xero user owns
 * every organisation in the simulator; every consent is a grant of its own.
 */
import express, { type Request, type Response, type Router } from 'express';
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { onThisHost } from '../same-host.js';
import { escapeHtml, renderPage, sendPage } from '../html.js';
import { DEFAULT_OAUTH_SCOPES } from '../../../config/constants.js';

export const SIM_AUTHORIZE_PATH = '/identity/connect/authorize';
/** Where Xero ends a consent that would take an app past its connections (authorize.xero.com/connectionLimit). */
export const SIM_CONNECTION_LIMIT_PATH = '/connectionLimit';
const ACCESS_SECONDS = 1800;
const REFRESH_GRACE_MS = 30 * 60_000;
// "you must refresh at least every two months" (developer.xero.com, OAuth 2.0 token types): unused for 60 days, invalid_grant.
const REFRESH_LIFETIME_MS = 60 * 24 * 3600_000;
const CODE_MS = 5 * 60_000;
const USER = { id: 'sim-user-1', email: 'owner@example.co.id', givenName: 'Sari', familyName: 'Wijaya' };

export interface SimGrant {
  clientId: string;
  /** tenantId → connectionId */
  connections: Map<string, string>;
  scope: string;
}

export interface SimOAuthState {
  /** maxConnections: the organisations the app's Xero tier lets it connect (test API limitConnections); none: no cap. */
  apps: Map<string, { clientSecret: string; maxConnections?: number }>;
  grants: Map<string, SimGrant>;
  codes: Map<string, { clientId: string; redirectUri: string; codeChallenge: string; nonce?: string; grantId: string; expiresAt: number; used: boolean }>;
  refreshTokens: Map<string, { clientId: string; grantId: string; validUntil: number }>;
  /** Calls to the token endpoint by grant type, for tests ("30 jobs → one refresh"). */
  tokenCalls: { authorization_code: number; refresh_token: number };
  revocations: number;
  /** Fault switch: every refresh answers invalid_grant (as after the user revoked us in Xero). */
  refuseRefresh: boolean;
}

export function emptyOAuthState(): SimOAuthState {
  return {
    apps: new Map(),
    grants: new Map(),
    codes: new Map(),
    refreshTokens: new Map(),
    tokenCalls: { authorization_code: 0, refresh_token: 0 },
    revocations: 0,
    refuseRefresh: false,
  };
}

export interface SimOAuthHost {
  oauth: SimOAuthState;
  orgs: Map<string, { tenantId: string; name: string; shortCode: string; createdAt: Date }>;
  accessTokens: Map<string, { clientId: string; expiresAt: number; scope: string; grantId?: string }>;
}

const signingKey = (() => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKey, kid: randomBytes(8).toString('hex') };
})();

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function signJwt(payload: Record<string, unknown>, key: KeyObject, kid: string): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
  const body = b64url(JSON.stringify(payload));
  return `${head}.${body}.${b64url(sign('sha256', Buffer.from(`${head}.${body}`), key))}`;
}

/** Routes that must come before the simulator's JSON/API middleware. */
export function oauthRoutes(router: Router, host: SimOAuthHost, now: () => Date): void {
  const form = express.urlencoded({ extended: false });
  router.get('/.well-known/openid-configuration', (req, res) => {
    const base = issuerOf(req);
    res.json({
      issuer: base,
      authorization_endpoint: `${base}${SIM_AUTHORIZE_PATH}`,
      token_endpoint: `${base}/connect/token`,
      revocation_endpoint: `${base}/connect/revocation`,
      jwks_uri: `${base}/.well-known/openid-configuration/jwks`,
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
    });
  });
  router.get('/.well-known/openid-configuration/jwks', (_req, res) => {
    res.json({ keys: [{ ...signingKey.publicKey.export({ format: 'jwk' }), kid: signingKey.kid, alg: 'RS256', use: 'sig' }] });
  });
  // Browsers ask the login page's origin for one (the tests mount the simulator at the root).
  router.get('/favicon.ico', (_req, res) => void res.status(204).end());
  router.get(SIM_AUTHORIZE_PATH, (req, res) => consentPage(req, res, host, query(req.query)));
  router.post(SIM_AUTHORIZE_PATH, form, (req, res) => decide(req, res, host, now()));
  router.get(SIM_CONNECTION_LIMIT_PATH, (req, res) => connectionLimitPage(req, res, host, String(req.query.client_id ?? '')));
  router.post('/connect/revocation', form, (req, res) => revoke(req, res, host));
  router.delete('/connections/:id', (req, res) => deleteConnection(req, res, host, now()));
}

function query(q: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((q ?? {}) as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Xero's issuer is the identity URL the client was configured with: this mount, as it was reached. */
function issuerOf(req: Request): string {
  return `${req.protocol}://${req.get('host')}${req.baseUrl}`;
}

function badRequest(res: Response, req: Request, message: string): void {
  sendPage(
    res,
    400,
    renderPage(
      'Xero login (simulated)',
      `${req.baseUrl}/sim.css`,
      `<main><div class="card"><h1>Cannot continue</h1><p>${escapeHtml(message)}</p></div></main>`,
    ),
  );
}

function checkRequest(req: Request, host: SimOAuthHost, p: Record<string, string>): string | undefined {
  if (!host.oauth.apps.has(p.client_id ?? '')) return 'unknown client_id';
  if (p.response_type !== 'code') return 'response_type must be code';
  if (!/^https?:\/\//.test(p.redirect_uri ?? '')) return 'redirect_uri is missing';
  if (!onThisHost(p.redirect_uri, req)) return 'redirect_uri must be on this host: the simulator sends codes nowhere else';
  if (!p.state) return 'state is missing';
  if (p.code_challenge_method !== 'S256' || !/^[\w-]{43}$/.test(p.code_challenge ?? '')) return 'PKCE (code_challenge with S256) is required';
  return undefined;
}

const PASSED = ['client_id', 'response_type', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method'];

function consentPage(req: Request, res: Response, host: SimOAuthHost, p: Record<string, string>, problem?: string): void {
  const bad = checkRequest(req, host, p);
  if (bad) return badRequest(res, req, bad);
  const orgs = [...host.orgs.values()];
  const hidden = PASSED.filter((k) => p[k] !== undefined)
    .map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(p[k])}">`)
    .join('\n');
  const boxes = orgs
    .map(
      (o, i) =>
        `<p><label><input type="checkbox" name="tenant" value="${escapeHtml(o.tenantId)}"${orgs.length === 1 ? ' checked' : ''} id="org-${i}"> ${escapeHtml(o.name)} <span class="muted">(${escapeHtml(o.shortCode)})</span></label></p>`,
    )
    .join('\n');
  const scopes = (p.scope ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((s) => `<li>${escapeHtml(s)}</li>`)
    .join('');
  sendPage(
    res,
    problem ? 400 : 200,
    renderPage(
      'Xero login (simulated)',
      `${req.baseUrl}/sim.css`,
      `<main><div class="card checkout">
<p class="banner">Simulated Xero — signed in as ${escapeHtml(USER.email)}</p>
<h1>Allow access to your Xero organisation?</h1>
<p>An app wants to use: </p><ul>${scopes}</ul>
${problem ? `<p class="error" role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="post" action="${escapeHtml(req.baseUrl + SIM_AUTHORIZE_PATH)}">
${hidden}
<fieldset><legend>Organisations</legend>
${boxes || '<p class="muted">No organisations.</p>'}
</fieldset>
<p><button type="submit" name="decision" value="allow">Allow access</button>
<button type="submit" name="decision" value="deny">Cancel</button></p>
</form></div></main>`,
    ),
  );
}

function decide(req: Request, res: Response, host: SimOAuthHost, at: Date): void {
  const body = (req.body ?? {}) as Record<string, string | string[]>;
  const p: Record<string, string> = {};
  for (const k of PASSED) if (typeof body[k] === 'string') p[k] = body[k] as string;
  const bad = checkRequest(req, host, p);
  if (bad) return badRequest(res, req, bad);
  const back = new URL(p.redirect_uri);
  if (body.decision !== 'allow') {
    back.searchParams.set('error', 'access_denied');
    back.searchParams.set('state', p.state);
    return void res.redirect(302, back.toString());
  }
  const picked = ([] as string[]).concat(body.tenant ?? []).filter((t) => host.orgs.has(t));
  if (!picked.length) return consentPage(req, res, host, p, 'Choose at least one organisation.');
  if (overConnectionLimit(host, p.client_id, picked)) {
    return void res.redirect(302, `${issuerOf(req)}${SIM_CONNECTION_LIMIT_PATH}?${new URLSearchParams({ client_id: p.client_id })}`);
  }
  const grantId = randomUUID();
  host.oauth.grants.set(grantId, { clientId: p.client_id, connections: new Map(picked.map((t) => [t, randomUUID()])), scope: p.scope ?? '' });
  const code = randomBytes(24).toString('base64url');
  host.oauth.codes.set(code, {
    clientId: p.client_id,
    redirectUri: p.redirect_uri,
    codeChallenge: p.code_challenge,
    ...(p.nonce ? { nonce: p.nonce } : {}),
    grantId,
    expiresAt: at.getTime() + CODE_MS,
    used: false,
  });
  back.searchParams.set('code', code);
  back.searchParams.set('scope', p.scope ?? '');
  back.searchParams.set('state', p.state);
  res.redirect(302, back.toString());
}

/**
 * Xero's tiers cap the organisations an app may connect (Starter 5, Core 50, Plus 1 000, Advanced
 * 10 000: developer.xero.com/faq/pricing-and-policy-updates). A consent that would connect one more
 * ends on Xero's own page, authorize.xero.com/connectionLimit, and the browser is never sent back to
 * the app (PipedreamHQ/pipedream#21951: "redirected to authorize.xero.com/connectionLimit"; #12215
 * quotes the page). Organisations already connected to the app do not count again.
 */
function overConnectionLimit(host: SimOAuthHost, clientId: string, tenantIds: string[]): boolean {
  const max = host.oauth.apps.get(clientId)?.maxConnections;
  if (max === undefined) return false;
  const connected = new Set([...host.oauth.grants.values()].filter((g) => g.clientId === clientId).flatMap((g) => [...g.connections.keys()]));
  for (const t of tenantIds) connected.add(t);
  return connected.size > max;
}

function connectionLimitPage(req: Request, res: Response, host: SimOAuthHost, clientId: string): void {
  const app = host.oauth.apps.has(clientId) ? clientId : 'This app';
  sendPage(
    res,
    200,
    renderPage(
      'Connection limit (simulated Xero)',
      `${req.baseUrl}/sim.css`,
      `<main><div class="card checkout">
<p class="banner">Simulated Xero</p>
<h1>Connection limit reached</h1>
<p>Sorry! ${escapeHtml(app)} has reached their Xero connection limit, please let them know so they can connect more Xero organisations.</p>
</div></main>`,
    ),
  );
}

function clientOf(req: Request, host: SimOAuthHost): string | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  const body = (req.body ?? {}) as Record<string, string | undefined>;
  let id = body.client_id ?? '';
  let secret = body.client_secret ?? '';
  if (m) {
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    id = decodeURIComponent(decoded.slice(0, colon));
    secret = decodeURIComponent(decoded.slice(colon + 1));
  }
  const app = host.oauth.apps.get(id);
  if (!app) return undefined;
  const a = Buffer.from(app.clientSecret);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b) ? id : undefined;
}

/** true when this client id is an OAuth app of this simulator (else the Custom Connection path answers). */
export function isOAuthClient(req: Request, host: SimOAuthHost): boolean {
  const m = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  const id = m ? decodeURIComponent(Buffer.from(m[1], 'base64').toString('utf8').split(':')[0]) : String((req.body ?? {}).client_id ?? '');
  return host.oauth.apps.has(id);
}

/** authorization_code and refresh_token grants for OAuth apps. */
export function oauthTokenEndpoint(req: Request, res: Response, host: SimOAuthHost, at: Date): void {
  res.set('Cache-Control', 'no-store');
  const clientId = clientOf(req, host);
  if (!clientId) return void res.status(400).json({ error: 'invalid_client' });
  const body = (req.body ?? {}) as Record<string, string | undefined>;
  const s = host.oauth;
  if (body.grant_type === 'authorization_code') {
    s.tokenCalls.authorization_code += 1;
    const code = s.codes.get(body.code ?? '');
    const verifierOk = code && body.code_verifier && createHash('sha256').update(body.code_verifier).digest('base64url') === code.codeChallenge;
    if (!code || code.used || code.expiresAt <= at.getTime() || code.clientId !== clientId || code.redirectUri !== body.redirect_uri || !verifierOk) {
      if (code) code.used = true;
      return void res.status(400).json({ error: 'invalid_grant' });
    }
    code.used = true;
    const grant = s.grants.get(code.grantId)!;
    const idToken = signJwt(
      {
        iss: issuerOf(req),
        aud: clientId,
        sub: USER.id,
        iat: Math.floor(at.getTime() / 1000),
        exp: Math.floor(at.getTime() / 1000) + 300,
        auth_time: Math.floor(at.getTime() / 1000),
        ...(code.nonce ? { nonce: code.nonce } : {}),
        xero_userid: USER.id,
        email: USER.email,
        given_name: USER.givenName,
        family_name: USER.familyName,
      },
      signingKey.privateKey,
      signingKey.kid,
    );
    return void res.json({ ...issue(host, clientId, code.grantId, grant.scope, at), id_token: idToken });
  }
  if (body.grant_type === 'refresh_token') {
    s.tokenCalls.refresh_token += 1;
    const current = s.refreshTokens.get(body.refresh_token ?? '');
    if (s.refuseRefresh || !current || current.clientId !== clientId || current.validUntil <= at.getTime() || !s.grants.has(current.grantId)) {
      return void res.status(400).json({ error: 'invalid_grant' });
    }
    // Rotation: the old refresh token keeps working for 30 minutes, then invalid_grant.
    current.validUntil = Math.min(current.validUntil, at.getTime() + REFRESH_GRACE_MS);
    return void res.json(issue(host, clientId, current.grantId, s.grants.get(current.grantId)!.scope, at));
  }
  res.status(400).json({ error: 'unsupported_grant_type' });
}

/**
 * A token set, with a refresh token only when offline_access was granted (developer.xero.com/
 * documentation/guides/oauth2/auth-flow: the token exchange returns one only for that scope).
 */
function issue(host: SimOAuthHost, clientId: string, grantId: string, scope: string, at: Date) {
  const access = `sim_oat_${randomBytes(24).toString('hex')}`;
  host.accessTokens.set(access, { clientId, grantId, scope, expiresAt: at.getTime() + ACCESS_SECONDS * 1000 });
  const set = { access_token: access, expires_in: ACCESS_SECONDS, token_type: 'Bearer', scope };
  if (!scope.split(/\s+/).includes('offline_access')) return set;
  const refresh = `sim_ort_${randomBytes(24).toString('hex')}`;
  host.oauth.refreshTokens.set(refresh, { clientId, grantId, validUntil: at.getTime() + REFRESH_LIFETIME_MS });
  return { ...set, refresh_token: refresh };
}

/** A consent given outside the browser (tests, tools): a grant for these organisations and its first token set. */
export function grantDirectly(host: SimOAuthHost, clientId: string, tenantIds: string[], at: Date, scope = DEFAULT_OAUTH_SCOPES.join(' ')) {
  if (!host.oauth.apps.has(clientId)) throw new Error(`no OAuth app ${clientId}`);
  const grantId = randomUUID();
  if (overConnectionLimit(host, clientId, tenantIds)) throw new Error(`${clientId} has reached its Xero connection limit`);
  host.oauth.grants.set(grantId, { clientId, connections: new Map(tenantIds.map((t) => [t, randomUUID()])), scope });
  return issue(host, clientId, grantId, scope, at);
}

/** RFC 7009: revoking a refresh token ends its grant: its tokens and its connections. */
function revoke(req: Request, res: Response, host: SimOAuthHost): void {
  const clientId = clientOf(req, host);
  if (!clientId) return void res.status(400).json({ error: 'invalid_client' });
  host.oauth.revocations += 1;
  const token = String((req.body ?? {}).token ?? '');
  const grantId = host.oauth.refreshTokens.get(token)?.grantId ?? host.accessTokens.get(token)?.grantId;
  if (grantId) endGrant(host, grantId);
  res.status(200).end();
}

function endGrant(host: SimOAuthHost, grantId: string): void {
  host.oauth.grants.delete(grantId);
  for (const [t, v] of host.oauth.refreshTokens) if (v.grantId === grantId) host.oauth.refreshTokens.delete(t);
  for (const [t, v] of host.accessTokens) if (v.grantId === grantId) host.accessTokens.delete(t);
}

/** The tenants an OAuth access token may use; undefined for Custom Connection tokens. */
export function grantTenants(host: SimOAuthHost, grantId: string | undefined): string[] | undefined {
  if (!grantId) return undefined;
  return [...(host.oauth.grants.get(grantId)?.connections.keys() ?? [])];
}

/** GET /connections for an OAuth token: the grant's tenants, as Xero lists them. */
export function grantConnections(host: SimOAuthHost, grantId: string) {
  const grant = host.oauth.grants.get(grantId);
  return [...(grant?.connections ?? new Map<string, string>())].flatMap(([tenantId, id]) => {
    const o = host.orgs.get(tenantId);
    if (!o) return [];
    const created = o.createdAt.toISOString();
    return [{ id, authEventId: id, tenantId, tenantType: 'ORGANISATION', tenantName: o.name, createdDateUtc: created, updatedDateUtc: created }];
  });
}

function deleteConnection(req: Request, res: Response, host: SimOAuthHost, at: Date): void {
  const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  const token = m ? host.accessTokens.get(m[1]) : undefined;
  if (!token || token.expiresAt <= at.getTime() || !token.grantId)
    return void res.status(401).json({ Title: 'Unauthorized', Status: 401, Detail: 'AuthenticationUnsuccessful' });
  const grant = host.oauth.grants.get(token.grantId);
  const entry = [...(grant?.connections ?? [])].find(([, id]) => id === req.params.id);
  if (!grant || !entry) return void res.status(404).json({ Title: 'Not Found', Status: 404, Detail: 'Connection not found' });
  grant.connections.delete(entry[0]);
  res.status(204).end();
}
