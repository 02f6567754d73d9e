import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ADMIN_TEXT, adminText } from '../../app/admin/i18n/admin-text.js';
import { adminPage, ADMIN_PAGE } from '../../app/admin/i18n/messages.js';
import { ROW_STATUSES } from '../../app/report/reconcile.js';

const dir = join(import.meta.dirname, '../../app/admin');

describe('admin text (id/en)', () => {
  it('has an Indonesian text for every English one, none empty', () => {
    for (const [key, en] of Object.entries(ADMIN_TEXT.en)) {
      const id = ADMIN_TEXT.id[key as keyof typeof ADMIN_TEXT.id];
      assert.ok(id && id.trim(), `no Indonesian for ${key}`);
      assert.ok(en.trim(), `no English for ${key}`);
    }
    for (const key of Object.keys(ADMIN_PAGE) as (keyof typeof ADMIN_PAGE)[]) {
      assert.notEqual(adminPage('id', key).title, adminPage('en', key).title, `error page ${key} is not translated`);
    }
  });

  it('names every reconciliation row status in both languages', () => {
    for (const status of ROW_STATUSES) {
      const key = `row_${status}` as keyof typeof ADMIN_TEXT.en;
      assert.ok(ADMIN_TEXT.en[key], `no English for ${key}`);
      assert.ok(ADMIN_TEXT.id[key as keyof typeof ADMIN_TEXT.id], `no Indonesian for ${key}`);
    }
  });

  it('translates every sentence the admin shows from app/admin (form errors, refusals)', () => {
    const id = adminText('id');
    const sentences = new Set<string>();
    for (const file of (readdirSync(dir, { recursive: true }) as string[]).filter(
      (f) => f.endsWith('.ts') && !['admin-text.ts', 'golive-text.ts', 'messages.ts'].includes(basename(f)),
    )) {
      // Single-quoted sentences (a capital, a space, a full stop): user-facing; log lines are lower case.
      for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/'([A-Z][^'$]* [^'$]*[.)])'/g)) sentences.add(m[1]);
    }
    assert.ok(sentences.size > 30, `found ${sentences.size} sentences`);
    for (const s of sentences) assert.notEqual(id.msg(s), s, `not translated: ${s}`);
    assert.equal(adminText('en').msg('Choose a currency.'), 'Choose a currency.');
  });

  it('translates the sentences that carry names and figures', () => {
    const id = adminText('id');
    assert.equal(id.msg('Store the live key first: there is no live key to switch to.'), 'Simpan key live terlebih dahulu: belum ada key live untuk dipakai.');
    assert.equal(
      id.msg('Choose a PHP account: Xero records PHP payments only in PHP accounts.'),
      'Pilih akun PHP: Xero hanya mencatat pembayaran PHP di akun PHP.',
    );
    assert.equal(
      id.msg('Invoices in PHP would be recorded in "Xendit", a IDR account: Xero refuses that. Choose a PHP clearing account.'),
      'Invoice dalam PHP akan dicatat di "Xendit", akun IDR: Xero menolaknya. Pilih akun kliring PHP.',
    );
    assert.equal(id.msg('The Xero organisation Toko (ShortCode !AB1) is already connected.'), 'Organisasi Xero Toko (ShortCode !AB1) sudah terhubung.');
    assert.equal(id('pageN', { n: 3 }), 'Halaman 3');
  });
});
