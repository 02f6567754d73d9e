import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createI18n, loadCatalogues, message } from '../../app/i18n/index.js';
import { ROW_STATUSES } from '../../app/report/reconcile.js';

const dir = join(import.meta.dirname, '../../app/admin');
const files = (d: string): string[] =>
  readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : f.endsWith('.ts') ? [join(d, f)] : []));
const i18n = createI18n();
const catalogues = loadCatalogues();
const ADMIN_TEXT = { en: catalogues.en.admin as Record<string, string>, id: catalogues.id.admin as Record<string, string> };
const ADMIN_PAGE = catalogues.en.adminPages as Record<string, { title: string }>;

describe('admin text (id/en)', () => {
  it('has an Indonesian text for every English one, none empty', () => {
    for (const [key, en] of Object.entries(ADMIN_TEXT.en)) {
      const id = ADMIN_TEXT.id[key];
      assert.ok(id && id.trim(), `no Indonesian for ${key}`);
      assert.ok(en.trim(), `no English for ${key}`);
    }
    for (const key of Object.keys(ADMIN_PAGE)) {
      assert.notEqual(i18n.t('id', `adminPages:${key}.title`), i18n.t('en', `adminPages:${key}.title`), `error page ${key} is not translated`);
    }
  });

  it('names every reconciliation row status in both languages', () => {
    for (const status of ROW_STATUSES) {
      const key = `row_${status}`;
      assert.ok(ADMIN_TEXT.en[key], `no English for ${key}`);
      assert.ok(ADMIN_TEXT.id[key], `no Indonesian for ${key}`);
    }
  });

  it('shows the admin no sentence from app/admin (form errors, refusals): they are keys of the catalogues, in both languages', () => {
    const keys = new Set<string>();
    for (const file of files(dir)) {
      const text = readFileSync(file, 'utf8');
      // Single-quoted sentences (a capital, a space, a full stop): user-facing; log lines are lower case.
      for (const m of text.matchAll(/'([A-Z][^'$]* [^'$]*[.)])'/g)) assert.fail(`${file}: an English sentence instead of a key: ${m[1]}`);
      for (const m of text.matchAll(/'(errors:\w+)'/g)) keys.add(m[1]);
    }
    assert.ok(keys.size > 30, `found ${keys.size} keys`);
    for (const key of keys) assert.notEqual(i18n.t('id', key), i18n.t('en', key), `not translated: ${key}`);
    assert.equal(i18n.t('en', 'errors:currencyChoose'), 'Choose a currency.');
  });

  it('translates the messages that carry names and figures', () => {
    const id = i18n.fixed('id', 'admin');
    assert.equal(id.msg('errors:modeNoLiveKey'), 'Simpan key live terlebih dahulu: belum ada key live untuk dipakai.');
    assert.equal(id.msg(message('errors:accountCurrency', { currency: 'PHP' })), 'Pilih akun PHP: Xero hanya mencatat pembayaran PHP di akun PHP.');
    assert.equal(
      id.msg(message('errors:clearingWrongCurrency', { currency: 'PHP', account: 'Xendit', accountCurrency: 'IDR' })),
      'Invoice dalam PHP akan dicatat di "Xendit", akun IDR: Xero menolaknya. Pilih akun kliring PHP.',
    );
    assert.equal(id.msg(message('errors:orgAlreadyConnected', { name: 'Toko', shortCode: '!AB1' })), 'Organisasi Xero Toko (ShortCode !AB1) sudah terhubung.');
    assert.equal(id('pageN', { n: 3 }), 'Halaman 3');
  });

  it('reads an empty text as missing (its key), whichever i18next major is installed', () => {
    const t = createI18n({ en: { pay: { blank: '', filled: 'x' } } });
    assert.equal(t.t('en', 'blank'), 'blank');
    assert.equal(t.t('en', 'filled'), 'x');
  });
});
