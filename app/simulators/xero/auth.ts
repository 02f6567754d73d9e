/**
 * The identity side for Custom Connections: the client_credentials and refresh_token grants, and the
 * bearer check on API calls.
 */
import type { Request, Response } from 'express';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { grantTenants } from './oauth.js';
import { rateLimited } from './limits.js';
import { scopesOf } from './scopes.js';
import { DEFAULT_XERO_API_SCOPES } from '../../../config/constants.js';
import type { XeroSimulator } from './simulator.js';
import { type XeroSimState, orgsOfClient } from './state.js';

export const TOKEN_SECONDS = 1800;
export const REFRESH_GRACE_MS = 30 * 60_000;
export const REFRESH_LIFETIME_MS = 60 * 24 * 3600_000;
/** What a Custom Connection is authorised for unless told otherwise: what the gateway asks for. */
export const DEFAULT_CONNECTION_SCOPE = DEFAULT_XERO_API_SCOPES.join(' ');

export function tokenEndpoint(state: XeroSimState, req: Request, res: Response, at: Date): void {
  state.tokenRequests += 1;
  const body = (req.body ?? {}) as Record<string, string | undefined>;
  const client = basicCredentials(req) ?? { id: body.client_id ?? '', secret: body.client_secret ?? '' };
  const known = orgsOfClient(state, client.id)[0];
  res.set('Cache-Control', 'no-store');
  if (!known || !safeEqual(known.clientSecret, client.secret)) {
    res.status(400).json({ error: 'invalid_client' });
    return;
  }
  // A Custom Connection's token carries the scopes it was authorised with; asking for one it was not
  // given is invalid_scope (XeroAPI/xero-mcp-server#139, #175), asking for none gets them all.
  const given = scopesOf(known.scopes ?? DEFAULT_CONNECTION_SCOPE);
  // xero-node posts the scope list as `scopes=a,b` (comma-joined array); OAuth says `scope=a b`. Whether
  // Xero reads `scopes` is not documented: read here, the stricter case, which the gateway handles (tokens.ts).
  const requested = scopesOf(body.scope ?? body.scopes);
  if (requested.some((s) => !given.includes(s))) {
    res.status(400).json({ error: 'invalid_scope' });
    return;
  }
  const scope = (requested.length ? requested : given).join(' ');
  if (body.grant_type === 'client_credentials') {
    res.json(issueAccessToken(state, client.id, scope, at));
    return;
  }
  if (body.grant_type === 'refresh_token') {
    const current = body.refresh_token ? state.refreshTokens.get(body.refresh_token) : undefined;
    if (!current || current.clientId !== client.id || current.validUntil <= at.getTime()) {
      res.status(400).json({ error: 'invalid_grant' });
      return;
    }
    // Rotating refresh tokens: the old one keeps working for 30 minutes.
    current.validUntil = Math.min(current.validUntil, at.getTime() + REFRESH_GRACE_MS);
    res.json({ ...issueAccessToken(state, client.id, scope, at), refresh_token: issueRefreshToken(state, client.id, at) });
    return;
  }
  res.status(400).json({ error: 'unsupported_grant_type' });
}

export function basicCredentials(req: Request): { id: string; secret: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function issueAccessToken(state: XeroSimState, clientId: string, scope: string, at: Date) {
  const token = `sim_at_${randomBytes(24).toString('hex')}`;
  state.accessTokens.set(token, { clientId, scope, expiresAt: at.getTime() + TOKEN_SECONDS * 1000 });
  return { access_token: token, expires_in: TOKEN_SECONDS, token_type: 'Bearer', scope };
}

export function issueRefreshToken(state: XeroSimState, clientId: string, at: Date): string {
  if (!orgsOfClient(state, clientId).length) throw new Error(`no organisation uses client ${clientId}`);
  const token = `sim_rt_${randomBytes(24).toString('hex')}`;
  state.refreshTokens.set(token, { clientId, validUntil: at.getTime() + REFRESH_LIFETIME_MS });
  return token;
}

export function authenticate(sim: XeroSimulator, req: Request, res: Response, next: () => void, at: Date, latencyMs: () => number): void {
  const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  const token = m ? sim.state.accessTokens.get(m[1]) : undefined;
  if (!token || token.expiresAt <= at.getTime()) {
    res.status(401).set('WWW-Authenticate', 'Bearer error="invalid_token"');
    res.json({ Type: null, Title: 'Unauthorized', Status: 401, Detail: 'AuthenticationUnsuccessful', Extensions: {} });
    return;
  }
  res.locals.clientId = token.clientId;
  res.locals.grantId = token.grantId;
  res.locals.scope = token.scope;
  if (req.path === '/connections') return next();
  const tenantHeader = (req.get('xero-tenant-id') ?? '').trim();
  // OAuth tokens reach the organisations their consent connected, named by xero-tenant-id.
  const granted = grantTenants(sim.state, token.grantId);
  const orgs = granted ? (tenantHeader ? granted.map((t) => sim.state.orgs.get(t)!).filter(Boolean) : []) : orgsOfClient(sim.state, token.clientId);
  // Custom Connections send an empty tenant id: the token's only organisation.
  const target = tenantHeader ? orgs.find((o) => o.tenantId === tenantHeader) : orgs[0];
  if (!target) {
    res.status(403).json({ Type: null, Title: 'Forbidden', Status: 403, Detail: 'AuthorizationUnsuccessful', Extensions: {} });
    return;
  }
  res.locals.org = target;
  if (rateLimited(sim, target, res, at, token.clientId)) return;
  const latency = latencyMs();
  if (latency > 0) setTimeout(next, latency);
  else next();
}
