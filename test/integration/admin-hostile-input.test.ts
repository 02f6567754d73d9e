import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, page, signedIn, type Agent } from '../helpers/admin.js';
import { paths } from '../../app/paths.js';
import { MAX_RANGE_DAYS } from '../../app/admin/dates.js';

/** What an attacker or a careless user types into admin URLs and forms: a 4xx or the form again, never a 500. */
describeEachDatabase('admin: hostile and careless input', ({ db }) => {
  let h: Harness;
  let ops: Agent;
  beforeEach(async () => {
    h = await createHarness(db());
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null, h.clock());
    await addUser(h.stores, 'a@toko.test', h.merchant.id, h.clock());
    ops = await signedIn(h.app, 'ops@example.com');
  });
  afterEach(() => h.close());

  it('a 404 page for a path with dot segments links only to this site (its language switch included)', async () => {
    for (const path of ['/.//evil.com', '/%2e//evil.com', '/admin/..//evil.com', '/x/..//evil.com/a', '/./\\evil.com']) {
      for (const agent of [request(h.app), ops]) {
        const res = await agent.get(path).set('accept', 'text/html');
        assert.ok(res.status < 500, `${path}: ${res.status}`);
        const $ = cheerio.load(res.text);
        const links = $('a[href]')
          .map((_, a) => $(a).attr('href')!)
          .get();
        for (const href of links) {
          assert.ok(!/^[/\\]{2}/.test(href) && !/evil/.test(href), `${path} links to ${href}`);
          assert.equal(new URL(href, 'http://gateway.test').origin, 'http://gateway.test', href);
        }
        if (res.status === 404)
          assert.ok(
            links.some((l) => /[?&]lang=/.test(l)),
            `${path}: the page has its language switch`,
          );
      }
    }
  });

  // 36 characters of [0-9a-f-] that PostgreSQL does not read as a uuid.
  const NOT_UUIDS = ['000000000000000000000000000000000000', '------------------------------------', 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaa-'];

  it('an id that only looks like a uuid is an unknown id: sign-in for strangers, 404 for users, never a 500', async () => {
    for (const id of NOT_UUIDS) {
      await request(h.app).get(`/admin/merchants/${id}`).expect(303).expect('location', paths.adminLogin);
      await request(h.app).get(`/admin/merchants/${id}/xendit`).expect(303).expect('location', paths.adminLogin);
      await ops.get(`/admin/merchants/${id}`).expect(404);
      const form = await page(ops, paths.adminUsers);
      for (const action of [paths.adminUserDisable, paths.adminUserPasswordLink]) {
        await ops.post(action.replace(':userId', id)).type('form').send({ _csrf: form.csrf(), confirm: 'yes' }).expect(404);
      }
      await request(h.app).post(`/callbacks/xendit/${id}`).set('x-callback-token', 'x').send({}).expect(404);
      await request(h.app).post(`/callbacks/xendit/${id}/refunds`).set('x-callback-token', 'x').send({}).expect(404);
      await request(h.app).get(`${paths.payReturn}?ref=${id}`).expect(200);
    }
    // A merchant user is pinned to their own merchant whatever the URL says.
    const merchantUser = await signedIn(h.app, 'a@toko.test');
    await merchantUser.get(`/admin/merchants/${NOT_UUIDS[0]}`).expect(404);
  });

  it('dates outside 2000–2099 are a field error on the dashboard, its CSV and the report, never a 500; the chart spans at most a year', async () => {
    for (const [query, field] of [
      ['from=0999-06-01', 'from'],
      ['from=0500-01-01&to=2026-01-01', 'from'],
      ['to=9999-12-31', 'to'],
      ['from=1999-12-31', 'from'],
      ['to=2100-01-01', 'to'],
    ] as const) {
      const shown = await page(ops, `${paths.admin}?${query}`, 400);
      assert.equal(shown.$(`#e-${field}`).text(), 'Enter a date from 2000-01-01 to 2099-12-31.', query);
      await ops.get(`${paths.adminPaymentsCsv}?${query}`).expect(422);
      const filled = new URLSearchParams({ merchant: h.merchant.id, from: '2026-01-01', to: '2026-01-31', ...Object.fromEntries(new URLSearchParams(query)) });
      const report = await page(ops, `${paths.adminReport}?${filled}`, 400);
      assert.equal(report.$(`#e-${field}`).text(), 'Enter a date from 2000-01-01 to 2099-12-31.', query);
    }
    await page(ops, `${paths.admin}?from=2000-01-01&to=2000-01-31`);
    await page(ops, `${paths.admin}?from=2099-12-01&to=2099-12-31`);
    await ops.get(`${paths.adminPaymentsCsv}?from=2099-12-31`).expect(200);

    // One bound far back: the list is filtered from it, the chart shows the last MAX_RANGE_DAYS days.
    const { $ } = await page(ops, `${paths.admin}?from=2000-01-01`);
    const chart = $('#chart-empty, .chart figcaption').first().text();
    const [from, to] = chart.match(/\d{4}-\d{2}-\d{2}/g)!;
    assert.equal(to, '2026-11-25');
    assert.equal((Date.parse(to) - Date.parse(from)) / 86_400_000 + 1, MAX_RANGE_DAYS, chart);
  });

  it('search text no query could hold (a NUL) is dropped from the dashboard and its CSV, not a 500', async () => {
    for (const q of ['%00', 'a%00', 'INV%00-1']) {
      const { $ } = await page(ops, `${paths.admin}?q=${q}`);
      assert.equal($('input[name=q]').val(), '', 'the unusable search is not kept');
      await ops.get(`${paths.adminPaymentsCsv}?q=${q}`).expect(200);
    }
  });

  it('a form body too large or with too many fields is a 413 page, not a 500', async () => {
    const big = await request(h.app)
      .post(paths.adminLogin)
      .type('form')
      .send(`email=${'x'.repeat(20_000)}`)
      .expect(413);
    assert.match(big.text, /<html/);
    const form = await page(ops, paths.adminUsers);
    const many = [`_csrf=${form.csrf()}`, ...Array.from({ length: 300 }, (_, i) => `f${i}=1`)].join('&');
    await ops.post(paths.adminUsers).type('form').send(many).expect(413);
  });
});
