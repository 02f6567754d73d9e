import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, csrfOf, page, signedIn, type Agent } from '../helpers/admin.js';
import { adminMerchantPath, adminPaymentPath, paths } from '../../app/paths.js';
import { issueSetupLinkIfNeeded } from '../../app/admin/auth/service.js';
import { formatMoney } from '../../app/money.js';

describeEachDatabase('admin in Indonesian and English', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    await clearAdminTables(db());
  });
  afterEach(() => h.close());

  /** Strict CSP: nothing inline; the language switch is a plain link to the other language. */
  function assertPage($: cheerio.CheerioAPI, lang: 'id' | 'en') {
    assert.equal($('html').attr('lang'), lang);
    assert.equal($('[style]').length + $('style').length + $('script:not([src])').length, 0, 'nothing inline');
    const other = lang === 'id' ? 'en' : 'id';
    const switchLink = $('footer.foot a');
    assert.equal(switchLink.attr('lang'), other);
    assert.match(switchLink.attr('href')!, new RegExp(`[?&]lang=${other}(&|$)`));
    assert.equal(switchLink.text(), lang === 'id' ? 'English' : 'Bahasa Indonesia');
  }

  it('sign-in and first-operator pages follow Accept-Language, ?lang= and the remembered choice', async () => {
    const url = await issueSetupLinkIfNeeded({ ...h.deps, publicUrl: h.deps.config.publicUrl });
    const setupPath = new URL(url!).pathname;
    const agent = request.agent(h.app);
    const setup = cheerio.load((await agent.get(setupPath).set('Accept-Language', 'id-ID,id;q=0.9,en;q=0.8').expect(200)).text);
    assertPage(setup, 'id');
    assert.equal(setup('h1').text(), 'Buat operator pertama');
    assert.equal(setup('label[for=f-password]').text(), 'Kata sandi (minimal 12 karakter)');
    const short = await agent
      .post(setupPath)
      .set('Accept-Language', 'id')
      .type('form')
      .send({ _csrf: csrfOf(setup.html()), email: 'bukan-email', password: 'pendek', confirm: 'lain' })
      .expect(422);
    const $s = cheerio.load(short.text);
    assert.equal($s('#e-email').text(), 'Masukkan alamat e-mail yang valid.');
    assert.equal($s('#e-password').text(), 'Gunakan minimal 12 karakter.');
    assert.equal($s('.errorsummary strong').text(), 'Mohon perbaiki formulir.');

    const en = cheerio.load((await agent.get(paths.adminLogin).expect(200)).text);
    assertPage(en, 'en');
    assert.equal(en('h1').text(), 'Sign in');
    const chosen = await agent.get(`${paths.adminLogin}?lang=id`).expect(200);
    assert.match(String(chosen.headers['set-cookie']), /admin_lang=id;.*Path=\/admin;.*HttpOnly/);
    // Remembered: no query, an English browser, still Indonesian.
    const login = cheerio.load((await agent.get(paths.adminLogin).set('Accept-Language', 'en-US').expect(200)).text);
    assertPage(login, 'id');
    assert.equal(login('h1').text(), 'Masuk');
    assert.equal(login('label[for=f-password]').text(), 'Kata sandi');
    const wrong = await agent
      .post(paths.adminLogin)
      .type('form')
      .send({ _csrf: csrfOf(login.html()), email: 'x@example.com', password: 'salah sekali' })
      .expect(401);
    assert.equal(cheerio.load(wrong.text)('.errorsummary p.error').text(), 'E-mail atau kata sandi salah.');
    const forbidden = await agent.post(paths.adminLogin).type('form').send({ email: 'x@example.com', password: 'x' }).expect(403);
    assert.equal(cheerio.load(forbidden.text)('h1').text(), 'Formulir ini sudah kedaluwarsa');
    const back = cheerio.load((await agent.get(`${paths.adminLogin}?lang=en`).expect(200)).text);
    assert.equal(back('h1').text(), 'Sign in');
  });

  describe('signed in', () => {
    let ops: Agent;
    beforeEach(async () => {
      await addUser(h.stores, 'ops@example.com', null);
      ops = await signedIn(h.app, 'ops@example.com');
      await ops.get(`${paths.admin}?lang=id`).expect(200);
    });

    it('payments list, payment timeline and chart', async () => {
      const p = await h.stores.payments.getOrCreate(
        {
          id: randomUUID(),
          merchantId: h.merchant.id,
          checkoutId: null,
          xenditInvoiceId: 'x-id-1',
          xeroInvoiceId: 'xero-id-1',
          currency: 'IDR',
          amount: 1500000,
          fee: 43500,
          paidAt: new Date('2026-11-24T05:00:00Z'),
          reference: 'Xendit x-id-1',
        },
        h.clock(),
      );
      await h.stores.payments.markNeedsReview(p.id, 'Xero refused the payment', h.clock());
      const { $ } = await page(ops, paths.admin);
      assertPage($, 'id');
      assert.equal($('h1').text(), 'Pembayaran');
      assert.deepEqual(
        $('#payments thead th')
          .map((_, th) => $(th).text())
          .get(),
        ['Dibayar', 'Invoice', 'Pelanggan', 'Merchant', 'Jumlah', 'Biaya', 'Status', 'Xero'],
      );
      assert.equal($('#payments .badge').text(), 'Perlu ditinjau');
      assert.equal($('#payments td.num').first().text(), formatMoney(1500000, 'IDR', 'id-ID'));
      assert.equal($('#payments a.xero-link').text(), 'Buka di Xero');
      assert.equal($('#chart-heading').text(), 'Volume pembayaran per hari');
      assert.equal($('#chart-IDR-title').text(), 'Dibayar per hari dalam IDR, 2026-10-27 sampai 2026-11-25');
      assert.equal($('.charts summary').text(), 'Data yang sama dalam tabel');
      assert.equal($('nav.adminnav button').text(), 'Keluar');

      const detail = await page(ops, adminPaymentPath(p.id));
      assertPage(detail.$, 'id');
      assert.equal(detail.$('h1').text(), 'Pembayaran untuk xero-id-1');
      assert.deepEqual(
        detail
          .$('h2')
          .map((_, e) => detail.$(e).text())
          .get(),
        ['Pengembalian dana', 'Riwayat'],
      );
      assert.match(detail.$('#timeline').text(), /Dibayar di Xendit/);
      assert.equal(detail.$('section.retry button').text(), 'Coba lagi');
      const missing = await ops.get(adminPaymentPath(randomUUID())).expect(404);
      assert.equal(cheerio.load(missing.text)('h1').text(), 'Halaman tidak ditemukan');
      assert.equal(cheerio.load(missing.text)('p a').text(), 'Kembali ke admin');
    });

    it('users, merchants and every onboarding step', async () => {
      const users = await page(ops, paths.adminUsers);
      assertPage(users.$, 'id');
      assert.equal(users.$('h2').text(), 'Tambah pengguna merchant');
      const bad = await ops
        .post(paths.adminUsers)
        .type('form')
        .send({ _csrf: users.csrf(), email: 'ops@example.com', merchantId: 'nope', merchantRole: 'owner' })
        .expect(422);
      const $b = cheerio.load(bad.text);
      assert.equal($b('#e-merchantId').text(), 'Pilih merchant dari daftar.');

      const merchants = await page(ops, paths.adminMerchantNew);
      assertPage(merchants.$, 'id');
      assert.equal(merchants.$('h2').text(), 'Hubungkan ke Xero dengan Custom Connection (hanya organisasi AU, NZ, UK dan US)');
      assert.equal(merchants.$('tbody .badge').text(), 'aktif');
      const noId = await ops.post(paths.adminMerchantNew).type('form').send({ _csrf: merchants.csrf(), clientId: '', clientSecret: '' }).expect(422);
      assert.equal(cheerio.load(noId.text)('#e-clientId').text(), 'Masukkan client id.');

      const xendit = await page(ops, adminMerchantPath(h.merchant.id, 'adminMerchantXendit'));
      assertPage(xendit.$, 'id');
      assert.deepEqual(
        xendit
          .$('nav.tabs a')
          .map((_, a) => xendit.$(a).text())
          .get(),
        ['1. Xendit', '2. Akun', '3. Mulai', '4. Setelan', 'Tagihan biaya Xendit', 'Sengketa', 'Perlu ditinjau', 'Perubahan'],
      );
      assert.equal(xendit.$('#active-mode').text(), 'Aktif: mode uji coba.');

      const accounts = await page(ops, adminMerchantPath(h.merchant.id, 'adminMerchantAccounts'));
      assertPage(accounts.$, 'id');
      assert.equal(accounts.$('form:not(.inline) button').first().text(), 'Simpan akun');
      assert.equal(accounts.$('label[for=f-feeAccountCode]').text(), 'Akun beban untuk biaya Xendit');
      const noClearing = await ops
        .post(adminMerchantPath(h.merchant.id, 'adminMerchantAccounts'))
        .type('form')
        .send({ _csrf: accounts.csrf(), clearingAccountId: '', feeAccountCode: '' })
        .expect(422);
      assert.equal(cheerio.load(noClearing.text)('#e-clearingAccountId').text(), 'Pilih akun kliring.');

      const golive = await page(ops, adminMerchantPath(h.merchant.id));
      assertPage(golive.$, 'id');
      assert.equal(golive.$('h1').text(), 'Mulai menerima pembayaran — Toko Test');

      const settings = await page(ops, adminMerchantPath(h.merchant.id, 'adminMerchantSettings'));
      assertPage(settings.$, 'id');
      assert.deepEqual(
        settings
          .$('form:not(.inline) button')
          .map((_, b) => settings.$(b).text())
          .get(),
        ['Simpan setelan', 'Simpan rekening penyelesaian'],
        'the switches, then the settlement bank accounts',
      );

      const report = await page(ops, paths.adminReport);
      assertPage(report.$, 'id');
      assert.equal(report.$('form.filters button').text(), 'Tampilkan laporan');
    });
  });
});
