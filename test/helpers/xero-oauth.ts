import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { pino } from 'pino';
import { sql } from 'kysely';
import type { Db } from '../../app/store/db.js';
import { createApp } from '../../app/server.js';
import { createWorker } from '../../app/bin/worker.js';
import { createXeroClient } from '../../app/clients/xero/index.js';
import { createXeroOAuth } from '../../app/clients/xero/oauth.js';
import { unlimitedXeroBudget } from '../../app/clients/xero/budget.js';
import type { XeroTokenStore } from '../../app/clients/xero/types.js';
import { SIM_AUTHORIZE_PATH } from '../../app/simulators/xero/oauth.js';
import { callbackPathFor, paths } from '../../app/paths.js';
import type { Merchant } from '../../app/store/merchants.js';
import { createHarness, type Harness } from './harness.js';
import { getSims, SIM_CLIENT_TIMEOUT_MS } from './sims.js';
import { addUser, clearAdminTables, csrfOf, signedIn, type Agent } from './admin.js';

/** The gateway's own Xero app, registered with the simulator. */
export const APP = { clientId: 'gateway-oauth-app', clientSecret: 'gateway-oauth-secret-5150' };

export type OAuthHarness = Harness & { oauthClient: ReturnType<typeof createXeroClient> };

/** An OAuth-enabled gateway client over a token store (one per simulated process). */
export function oauthXeroClient(h: Pick<Harness, 'sims' | 'clock'>, tokens: XeroTokenStore) {
  return createXeroClient({
    apiUrl: h.sims.xeroUrl,
    identityUrl: h.sims.xeroUrl,
    timeoutMs: SIM_CLIENT_TIMEOUT_MS,
    now: h.clock,
    budget: unlimitedXeroBudget,
    oauth: { clientId: APP.clientId, clientSecret: APP.clientSecret, tokens },
  });
}

/** The harness with "Connect to Xero" configured against the simulator (app, worker and client). */
export async function createOAuthHarness(db: Db, env: Record<string, string> = {}): Promise<OAuthHarness> {
  const sims = await getSims();
  const h = await createHarness(db, {
    env: {
      ...env,
      XERO_CLIENT_ID: APP.clientId,
      XERO_CLIENT_SECRET: APP.clientSecret,
      XERO_API_URL: sims.xeroUrl,
      XERO_IDENTITY_URL: sims.xeroUrl,
      XERO_LOGIN_URL: sims.xeroUrl,
    },
  });
  h.sims.xero.addOAuthApp(APP.clientId, APP.clientSecret);
  const oauthConfig = h.deps.config.xero.oauth;
  assert.ok(oauthConfig, 'XERO_CLIENT_ID configures OAuth');
  const oauthClient = oauthXeroClient(h, h.stores.xeroTokens);
  const xeroOAuth = createXeroOAuth({
    ...oauthConfig,
    loginUrl: sims.xeroUrl,
    identityUrl: sims.xeroUrl,
    apiUrl: sims.xeroUrl,
    timeoutMs: SIM_CLIENT_TIMEOUT_MS,
    now: h.clock,
  });
  const deps = { ...h.deps, xero: oauthClient, xeroOAuth };
  const logger = pino({ level: 'silent' });
  const app = createApp(deps);
  h.serve(app);
  return { ...h, deps, app, oauthClient, worker: createWorker({ stores: h.stores, xero: oauthClient, xendit: h.sims.xenditClient, clock: h.clock, logger }) };
}

/**
 * An OAuth harness with no pending consents or admin users but one operator (ops@example.com,
 * signed in) and two organisations ("Warung Satu", "Warung Dua") behind Custom Connections named by
 * `ids` (client id prefix and the two ShortCodes).
 */
export async function createConnectCast(db: Db, ids: { client: string; shortCodes: [string, string] }) {
  const h = await createOAuthHarness(db);
  await sql`truncate xero_oauth_states`.execute(db);
  await clearAdminTables(db);
  await addUser(h.stores, 'ops@example.com', null);
  const org = (n: 'a' | 'b', name: string, shortCode: string) =>
    h.sims.xero.addOrganisation({ clientId: `${ids.client}-${n}`, clientSecret: `${ids.client}-${n}-secret`, name, shortCode, baseCurrency: 'IDR' }).tenantId;
  const orgA = org('a', 'Warung Satu', ids.shortCodes[0]);
  const orgB = org('b', 'Warung Dua', ids.shortCodes[1]);
  const ops = await signedIn(h.app, 'ops@example.com');
  return { h, ops, orgA, orgB };
}

/** Posts "Connect to Xero" from an admin page; returns the consent URL at the simulator. */
export async function startConnect(agent: Agent, merchantId = '', from: string = paths.adminMerchantNew): Promise<URL> {
  const form = await agent.get(from).expect(200);
  const res = await agent
    .post(paths.adminXeroConnect)
    .type('form')
    .send({ _csrf: csrfOf(form.text), merchantId })
    .expect(303);
  return new URL(res.headers.location);
}

/** At the simulator's consent page: tick these organisations and Allow (or Cancel); returns where Xero sends the browser back. */
export async function consent(sims: Harness['sims'], authorize: URL, decision: { tenants: string[] } | 'deny'): Promise<string> {
  const pageRes = await request(sims.xeroUrl)
    .get(authorize.pathname + authorize.search)
    .expect(200);
  const $ = cheerio.load(pageRes.text);
  const fields = new URLSearchParams();
  $('form input[type=hidden]').each((_i, el) => void fields.append($(el).attr('name')!, $(el).attr('value') ?? ''));
  if (decision === 'deny') fields.append('decision', 'deny');
  else {
    for (const t of decision.tenants) fields.append('tenant', t);
    fields.append('decision', 'allow');
  }
  const back = await request(sims.xeroUrl).post(SIM_AUTHORIZE_PATH).type('form').send(fields.toString()).expect(302);
  const url = new URL(back.headers.location);
  return url.pathname + url.search;
}

/** The whole "Connect to Xero" round trip; returns the gateway's answer to the callback. */
export async function connectThroughXero(h: Harness, agent: Agent, tenants: string[], status: number, merchantId = '', from?: string) {
  const authorize = await startConnect(agent, merchantId, from);
  return agent.get(await consent(h.sims, authorize, { tenants })).expect(status);
}

/**
 * An organisation connected through the gateway's Xero app (no browser: the simulator's consent),
 * with Xendit key, callback token and clearing account: a merchant ready to sell.
 */
export async function oauthMerchantReadyToSell(h: OAuthHarness, n: number, opts: { scope?: string } = {}): Promise<{ merchant: Merchant; tenantId: string }> {
  const shortCode = `!OA${n}`;
  const { tenantId } = h.sims.xero.addOrganisation({
    clientId: `oa-${n}`,
    clientSecret: `oa-secret-${n}`,
    name: 'Warung OAuth',
    shortCode,
    baseCurrency: 'IDR',
  });
  const set = h.sims.xero.grantOAuth(APP.clientId, [tenantId], opts.scope);
  const tokens = { accessToken: set.access_token, refreshToken: set.refresh_token ?? '', expiresAt: new Date(h.clock().getTime() + set.expires_in * 1000) };
  const id = await h.stores.xeroConnections.addOAuthMerchant(
    { name: 'Warung OAuth', shortCode, tenantId, clientId: APP.clientId, tokens, isDemoCompany: true },
    h.clock(),
  );
  const xenditKey = `xnd_development_oa${n}`;
  await h.stores.merchants.setXendit(id, { secretKey: xenditKey, callbackToken: `oa-token-${n}` }, h.clock());
  const clearing = h.sims.xero.bankAccountFor(tenantId, 'Xendit').accountId;
  await h.stores.merchants.setAccounts(
    id,
    { clearingAccountId: clearing, clearingCurrency: 'IDR', clearingAccounts: {}, feeAccountCode: '404', salesAccountCode: null },
    h.clock(),
  );
  assert.ok(await h.stores.merchants.activateIfComplete(id, h.clock()));
  h.sims.xendit.registerAccount({
    secretKey: xenditKey,
    callbackToken: `oa-token-${n}`,
    callbackUrl: h.baseUrl + callbackPathFor(id),
    businessName: 'Warung OAuth',
  });
  return { merchant: (await h.stores.merchants.byId(id))!, tenantId };
}
