import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import type { Agent } from '../helpers/admin.js';
import { consent, connectThroughXero, createConnectCast, startConnect, type OAuthHarness } from '../helpers/xero-oauth.js';
import { adminMerchantPath, paths } from '../../app/paths.js';
import { createI18n, encodeMessage, message } from '../../app/i18n/index.js';

/** The Connect to Xero pages (organisation picker, problem page, connection box) in Indonesian. */
describeEachDatabase('Connect to Xero pages in Indonesian', ({ db }) => {
  let h: OAuthHarness;
  let ops: Agent;
  let orgA: string;
  let orgB: string;
  beforeEach(async () => {
    ({ h, ops, orgA, orgB } = await createConnectCast(db(), { client: 'id', shortCodes: ['!IDA1', '!IDB2'] }));
    await ops.get(`${paths.adminMerchantNew}?lang=id`).expect(200);
  });
  afterEach(() => h.close());

  it('merchants page, organisation picker and the connection box (connected, then disconnected)', async () => {
    const merchants = cheerio.load((await ops.get(paths.adminMerchantNew).expect(200)).text);
    assert.equal(merchants('html').attr('lang'), 'id');
    assert.equal(merchants('form.xero-connect').prevAll('h2').first().text(), 'Hubungkan ke Xero');
    assert.equal(
      merchants('form.xero-connect').prev('p.muted').text(),
      'Masuk ke Xero, izinkan akses, lalu pilih organisasinya: nama dan ShortCode-nya dibaca dari Xero.',
    );
    assert.equal(merchants('form.xero-connect').next('p.muted').text(), 'Atau, untuk satu organisasi di AU, NZ, UK atau US, tanpa masuk di Xero:');

    const pick = cheerio.load((await connectThroughXero(h, ops, [orgA, orgB], 200)).text);
    assert.equal(pick('html').attr('lang'), 'id');
    assert.equal(pick('h1').text(), 'Pilih organisasi Xero');
    assert.equal(pick('title').text().startsWith('Pilih organisasi Xero'), true);
    assert.equal(pick('h1').next('p').text(), 'Anda menghubungkan beberapa organisasi di Xero. Organisasi mana yang menerima pembayaran melalui gateway ini?');
    assert.equal(pick('legend').text(), 'Organisasi');
    assert.equal(pick(`form[action="${paths.adminXeroOrganisation}"] button`).text(), 'Gunakan organisasi ini');
    const picked = await ops
      .post(paths.adminXeroOrganisation)
      .type('form')
      .send({ _csrf: pick('input[name=_csrf]').val(), pick: pick('input[name=pick]').val(), tenantId: orgB })
      .expect(303);
    const merchantId = picked.headers.location.split('/')[3];

    let $ = cheerio.load((await ops.get(adminMerchantPath(merchantId)).expect(200)).text);
    assert.equal($('#xero-connection-title').text(), 'Koneksi Xero');
    assert.equal($('[data-xero=connected]').text(), 'Tersambung ke Warung Dua (Connect to Xero).');
    assert.equal($(`form[action="${adminMerchantPath(merchantId, 'adminMerchantXeroDisconnect')}"] button`).text(), 'Putuskan dari Xero');
    assert.equal($(`form[action="${paths.adminXeroConnect}"] button`).text(), 'Sambungkan lagi ke Xero');

    await ops
      .post(adminMerchantPath(merchantId, 'adminMerchantXeroDisconnect'))
      .type('form')
      .send({ _csrf: $('input[name=_csrf]').first().val(), confirm: 'yes' })
      .expect(303);
    $ = cheerio.load((await ops.get(adminMerchantPath(merchantId)).expect(200)).text);
    const warning = $('[data-xero=disconnected]').text().replace(/\s+/g, ' ');
    assert.match(
      warning,
      /^Xero terputus — sambungkan lagi\. diputus oleh ops@example\.com \(.+\) Pembayaran menunggu dan dicatat setelah Anda menyambungkan lagi\.$/,
    );
    const list = cheerio.load((await ops.get(paths.adminMerchantNew).expect(200)).text);
    assert.equal(list(`a.badge[href="${adminMerchantPath(merchantId)}"]`).text(), 'Xero terputus — sambungkan lagi');

    // English stays English.
    $ = cheerio.load((await ops.get(`${adminMerchantPath(merchantId)}?lang=en`).expect(200)).text);
    assert.match($('[data-xero=disconnected]').text(), /^Xero disconnected — reconnect\. disconnected by ops@example\.com/);
  });

  it('the "Xero was not connected" page', async () => {
    const back = await consent(h.sims, await startConnect(ops), 'deny');
    const $ = cheerio.load((await ops.get(back).expect(400)).text);
    assert.equal($('html').attr('lang'), 'id');
    assert.equal($('h1').text(), 'Xero tidak terhubung');
    assert.equal($('a[href="/admin"]').last().text(), 'Kembali ke admin');
    assert.doesNotMatch($('[data-reason]').text(), /did not allow access/, 'the reason is translated too');
  });

  it('the invalid_grant reason has an Indonesian version', () => {
    const stored = encodeMessage(message('errors:xeroRefreshRefused', { code: 'invalid_grant' })); // as the Xero client stores it
    assert.equal(createI18n().fixed('id', 'admin').stored(stored), 'Xero menolak refresh token (invalid_grant)');
  });
});
