import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { createXeroSimulator } from '../../app/simulators/xero/index.js';
import { SIM_AUTHORIZE_PATH } from '../../app/simulators/xero/oauth.js';
import { manualClock } from '../helpers/harness.js';

const APP = { clientId: 'sim-app', clientSecret: 'sim-app-secret' };
const basic = `Basic ${Buffer.from(`${APP.clientId}:${APP.clientSecret}`).toString('base64')}`;

/** The simulator's identity side on its own, with a clock the test moves. */
describe('Xero simulator: OAuth 2.0 identity endpoints', () => {
  const clock = manualClock();
  const sim = createXeroSimulator({ now: clock });
  const app = express().use(sim.router);
  let tenantId: string;
  beforeEach(() => {
    sim.reset();
    sim.addOAuthApp(APP.clientId, APP.clientSecret);
    tenantId = sim.addOrganisation({ clientId: 'cc', clientSecret: 'cc-s', name: 'Org', shortCode: '!O1', baseCurrency: 'IDR' }).tenantId;
  });

  const refresh = (token: string) =>
    request(app).post('/connect/token').set('authorization', basic).type('form').send({ grant_type: 'refresh_token', refresh_token: token });

  it('gives a refresh token only when offline_access was granted (developer.xero.com OAuth 2.0 auth flow)', async () => {
    const without = sim.grantOAuth(APP.clientId, [tenantId], 'openid profile email accounting.transactions');
    assert.ok(without.access_token);
    assert.equal('refresh_token' in without, false);
    const withIt = sim.grantOAuth(APP.clientId, [tenantId], 'openid accounting.transactions offline_access');
    assert.ok(withIt.refresh_token);
    const again = (await refresh(withIt.refresh_token!).expect(200)).body;
    assert.ok(again.refresh_token, 'a refresh keeps offline_access, so it brings the next refresh token');
  });

  it('rotates refresh tokens; the old one works for 30 more minutes, then invalid_grant', async () => {
    const first = sim.grantOAuth(APP.clientId, [tenantId]) as { refresh_token: string };
    const second = (await refresh(first.refresh_token).expect(200)).body;
    assert.notEqual(second.refresh_token, first.refresh_token);
    clock.advance(29 * 60_000);
    await refresh(first.refresh_token).expect(200);
    clock.advance(2 * 60_000);
    assert.equal((await refresh(first.refresh_token).expect(400)).body.error, 'invalid_grant');
    await refresh(second.refresh_token).expect(200);
    sim.test.oauth.refuseRefresh(true);
    assert.equal((await refresh(second.refresh_token).expect(400)).body.error, 'invalid_grant');
    assert.equal(sim.test.oauth.tokenCalls('refresh_token'), 5);
  });

  it('checks the PKCE verifier and redeems a code once', async () => {
    const verifier = 'v'.repeat(43);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const q = new URLSearchParams({
      client_id: APP.clientId,
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:9/cb',
      scope: 'openid offline_access',
      state: 's1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const page = await request(app).get(`${SIM_AUTHORIZE_PATH}?${q}`).expect(200);
    assert.equal(cheerio.load(page.text)('script').length, 0, 'no scripts on the consent page');
    const back = await request(app).post(SIM_AUTHORIZE_PATH).type('form').send(`${q}&tenant=${tenantId}&decision=allow`).expect(302);
    const code = new URL(back.headers.location).searchParams.get('code')!;
    const exchange = (v: string) =>
      request(app)
        .post('/connect/token')
        .set('authorization', basic)
        .type('form')
        .send({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:9/cb', code_verifier: v });
    assert.equal((await exchange('w'.repeat(43)).expect(400)).body.error, 'invalid_grant', 'wrong verifier');
    assert.equal((await exchange(verifier).expect(400)).body.error, 'invalid_grant', 'a refused code is spent');
    // Without PKCE the consent page refuses to start.
    const noPkce = new URLSearchParams(q);
    noPkce.delete('code_challenge');
    await request(app).get(`${SIM_AUTHORIZE_PATH}?${noPkce}`).expect(400);
  });

  it('revocation ends the grant: its tokens and connections', async () => {
    const set = sim.grantOAuth(APP.clientId, [tenantId]);
    const conns = await request(app).get('/connections').set('authorization', `Bearer ${set.access_token}`).expect(200);
    assert.equal(conns.body.length, 1);
    await request(app).post('/connect/revocation').set('authorization', basic).type('form').send({ token: set.refresh_token }).expect(200);
    await request(app).get('/connections').set('authorization', `Bearer ${set.access_token}`).expect(401);
    assert.equal((await refresh(set.refresh_token!).expect(400)).body.error, 'invalid_grant');
  });
});
