import { strict as assert } from 'node:assert';
import { getSims, resetSims, type Sims } from '../helpers/sims.js';
import { SIM_AUTHORIZE_PATH } from '../../app/simulators/xero/oauth.js';

/** The demo's simulators hand out codes, tokens and redirects: never to another host. */
describe('simulators: no redirects or tokens to other hosts', () => {
  let sims: Sims;
  beforeEach(async () => {
    sims = await getSims();
    resetSims();
  });

  const post = (url: string, form: Record<string, string>) =>
    fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });

  it("Xero's consent page refuses a redirect_uri on another host (no code sent there)", async () => {
    sims.xero.addOAuthApp('sim-app', 'sim-secret');
    const params = (redirectUri: string) => ({
      client_id: 'sim-app',
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'offline_access',
      state: 'st',
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'S256',
    });
    const evil = await fetch(`${sims.xeroUrl}${SIM_AUTHORIZE_PATH}?${new URLSearchParams(params('https://evil.example/cb'))}`);
    assert.equal(evil.status, 400);
    assert.match(await evil.text(), /redirect_uri must be on this host/);
    const decided = await post(`${sims.xeroUrl}${SIM_AUTHORIZE_PATH}`, { ...params('https://evil.example/cb'), decision: 'deny' });
    assert.equal(decided.status, 400);
    assert.equal(decided.headers.get('location'), null);

    const local = await fetch(`${sims.xeroUrl}${SIM_AUTHORIZE_PATH}?${new URLSearchParams(params('http://localhost:3000/admin/xero/callback'))}`);
    assert.equal(local.status, 200, 'loopback to loopback (the gateway beside the simulator) still works');
    const denied = await post(`${sims.xeroUrl}${SIM_AUTHORIZE_PATH}`, { ...params('http://127.0.0.1:3000/admin/xero/callback'), decision: 'deny' });
    assert.equal(denied.status, 302);
  });

  it("Xendit's callbacks page will not send the verification token to another host", async () => {
    const account = sims.xendit.registerAccount({ secretKey: 'xnd_development_redir', callbackToken: 'tok-redir', businessName: 'Redir' });
    const evil = await post(`${sims.xenditUrl}/dashboard/callbacks`, { account: account.userId, invoice_paid_url: 'https://evil.example/steal' });
    assert.equal(evil.status, 400);
    assert.match(await evil.text(), /must be on this host/);
    assert.notEqual(account.callbackUrl, 'https://evil.example/steal');
    const ok = await post(`${sims.xenditUrl}/dashboard/callbacks`, { account: account.userId, invoice_paid_url: 'http://127.0.0.1:3000/callbacks/xendit/x' });
    assert.equal(ok.status, 303);
  });

  it("Xendit's checkout does not redirect to another host after paying", async () => {
    sims.xendit.registerAccount({ secretKey: 'xnd_development_redir2', callbackToken: 'tok', businessName: 'Redir' });
    const make = (successRedirectUrl: string) =>
      sims.xenditClient.createInvoice('xnd_development_redir2', {
        externalId: `e-${Math.random()}`,
        currency: 'IDR',
        amount: 10000,
        description: 'd',
        invoiceDurationSeconds: 3600,
        successRedirectUrl,
        failureRedirectUrl: successRedirectUrl,
      });
    const evil = await make('https://evil.example/phish');
    const paid = await post(`${sims.xenditUrl}/checkout/${evil.id}/pay`, {});
    assert.equal(paid.status, 200);
    assert.equal(paid.headers.get('location'), null);
    assert.match(await paid.text(), /only sends you back to this host/);
    const local = await make('http://localhost:3000/pay/return?ref=x');
    const back = await post(`${sims.xenditUrl}/checkout/${local.id}/pay`, {});
    assert.equal(back.status, 303);
    assert.equal(back.headers.get('location'), 'http://localhost:3000/pay/return?ref=x');
  });
});
