import { strict as assert } from 'node:assert';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, page } from '../helpers/admin.js';
import { paths } from '../../app/paths.js';
import { LOGIN_LIMIT } from '../../app/admin/auth/service.js';

describeEachDatabase('client address (TRUST_PROXY)', ({ db }) => {
  let h: Harness;
  afterEach(() => h.close());

  const click = (url: string, xff: string) => request(h.app).get(url).set('X-Forwarded-For', xff);

  /** Wrong passwords for ops@example.com, one per forwarded address; returns the statuses. */
  async function guesses(xffs: string[]): Promise<number[]> {
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null, h.clock());
    const agent = request.agent(h.app);
    const form = await page(agent, paths.adminLogin);
    const statuses: number[] = [];
    for (const xff of xffs) {
      const res = await agent
        .post(paths.adminLogin)
        .set('X-Forwarded-For', xff)
        .type('form')
        .send({ _csrf: form.csrf(), email: 'ops@example.com', password: 'a wrong guess' });
      statuses.push(res.status);
    }
    return statuses;
  }

  it('ignores X-Forwarded-For by default: a client inventing a new address per request is still throttled (/pay and sign-in)', async () => {
    h = await createHarness(db(), { env: { PAY_RATE_LIMIT_PER_IP: '3', PAY_RATE_LIMIT_PER_SHORTCODE: '0', PAY_RATE_LIMIT_PER_INVOICE: '0' } });
    const inv = h.addInvoice({});
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) statuses.push((await click(h.payUrl(inv.invoiceNumber), `203.0.113.${i}`)).status);
    assert.deepEqual(statuses, [303, 303, 303, 429, 429]);

    const logins = await guesses(Array.from({ length: LOGIN_LIMIT + 2 }, (_, i) => `198.51.100.${i + 1}`));
    assert.deepEqual(logins, [...Array(LOGIN_LIMIT).fill(401), 429, 429]);
  });

  it('with a hop count (CDN + load balancer: 2) counts the address the outermost trusted proxy saw, whatever the client prepends', async () => {
    h = await createHarness(db(), {
      env: { TRUST_PROXY: '2', PAY_RATE_LIMIT_PER_IP: '2', PAY_RATE_LIMIT_PER_SHORTCODE: '0', PAY_RATE_LIMIT_PER_INVOICE: '0' },
    });
    const inv = h.addInvoice({});
    // X-Forwarded-For as the load balancer passes it on: <what the client sent>, <client>, <CDN edge>.
    const via = (client: string, spoof?: string) => [spoof, client, '198.51.100.77'].filter(Boolean).join(', ');
    await click(h.payUrl(inv.invoiceNumber), via('203.0.113.5', '10.0.0.1')).expect(303);
    await click(h.payUrl(inv.invoiceNumber), via('203.0.113.5', '10.0.0.2')).expect(303);
    await click(h.payUrl(inv.invoiceNumber), via('203.0.113.5', '10.0.0.3')).expect(429);
    // Customers behind the same CDN edge are told apart (before: all shared the CDN's address).
    for (let i = 10; i < 20; i++) await click(h.payUrl(inv.invoiceNumber), via(`192.0.2.${i}`)).expect(303);
  });

  it('with a list of proxy addresses/CIDRs walks back through those proxies only', async () => {
    h = await createHarness(db(), {
      env: { TRUST_PROXY: 'loopback, 198.51.100.0/24', PAY_RATE_LIMIT_PER_IP: '1', PAY_RATE_LIMIT_PER_SHORTCODE: '0', PAY_RATE_LIMIT_PER_INVOICE: '0' },
    });
    const inv = h.addInvoice({});
    await click(h.payUrl(inv.invoiceNumber), '203.0.113.5, 198.51.100.3').expect(303);
    await click(h.payUrl(inv.invoiceNumber), '10.9.9.9, 203.0.113.5, 198.51.100.4').expect(429);
    await click(h.payUrl(inv.invoiceNumber), '203.0.113.6').expect(303);
  });

  it('ignores a malformed forwarded address: it is not a bucket of its own', async () => {
    h = await createHarness(db(), {
      env: { TRUST_PROXY: '1', PAY_RATE_LIMIT_PER_IP: '2', PAY_RATE_LIMIT_PER_SHORTCODE: '0', PAY_RATE_LIMIT_PER_INVOICE: '0' },
    });
    const inv = h.addInvoice({});
    const statuses: number[] = [];
    for (const junk of ['not-an-ip', 'x1', '999.1.1.1', '<script>', 'unknown']) statuses.push((await click(h.payUrl(inv.invoiceNumber), junk)).status);
    assert.deepEqual(statuses, [303, 303, 429, 429, 429]);
    // A proxy that writes the port along (203.0.113.8:51234) still names one client.
    await click(h.payUrl(inv.invoiceNumber), '203.0.113.8:51234').expect(303);
    await click(h.payUrl(inv.invoiceNumber), '203.0.113.8:40000').expect(303);
    await click(h.payUrl(inv.invoiceNumber), '203.0.113.8').expect(429);
  });

  it('counts sign-in attempts from IPv6 by /64, as /pay does: 10 addresses of one /64 are one client', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1' } });
    const logins = await guesses(Array.from({ length: 10 }, (_, i) => `2001:db8:7:8:${i.toString(16)}::${i + 1}`));
    assert.deepEqual(logins, [...Array(LOGIN_LIMIT).fill(401), ...Array(10 - LOGIN_LIMIT).fill(429)]);
    const other = await request.agent(h.app).get(paths.adminLogin).set('X-Forwarded-For', '2001:db8:7:9::1');
    assert.equal(other.status, 200);
  });
});
