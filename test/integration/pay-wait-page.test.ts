import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { schedule } from '../../app/jobs/schedules.js';
import { createI18n, INTL_LOCALE, PAY_LANGS, type PayLang } from '../../app/i18n/index.js';
import { tooManyText } from '../../app/i18n/wait.js';

const body = (html: string) => cheerio.load(html)('main p').first().text().trim();
const i18n = createI18n();
const time = (lang: PayLang, at: Date, zone: string) =>
  new Intl.DateTimeFormat(INTL_LOCALE[lang], { timeZone: zone, hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(at);

/**
 * A day's share of the merchant's Xero budget spent: the click is refused until midnight UTC, up to
 * a day away. The page said "wait 75600 seconds"; it names the local time the payer may come back.
 */
describeEachDatabase('the "too many attempts" page says when to come back', ({ db }) => {
  let h: Harness;
  afterEach(() => h?.close());

  const click = (url: string, lang = 'en') => request(h.app).get(url).set('X-Forwarded-For', '203.0.113.9').set('Accept-Language', lang);

  /** Every invoice's own links together may read Xero twice a day: the third invoice's click is over. */
  async function overKnownShare(): Promise<string> {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', XERO_LIMIT_PER_DAY: '100', PAY_KNOWN_XERO_PERCENT: '2', PAY_INVOICE_XERO_PERCENT: '100' } });
    const [a, b, c] = [h.addInvoice({}), h.addInvoice({}), h.addInvoice({})];
    await schedule(h, 'sync-open-invoices', 60);
    await h.worker.drain();
    await click(h.payUrl(a.invoiceNumber)).expect(303);
    await click(h.payUrl(b.invoiceNumber)).expect(303);
    return h.payUrl(c.invoiceNumber);
  }

  it('a wait of a minute or less: said in seconds, with Retry-After', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', PAY_RATE_LIMIT_PER_IP: '1', PAY_RATE_LIMIT_WINDOW_SECONDS: '60' } });
    const inv = h.addInvoice({});
    await click(h.payUrl(inv.invoiceNumber)).expect(303);
    h.clock.advance(15_000);
    const res = await click(h.payUrl(inv.invoiceNumber)).expect(429);
    assert.equal(res.headers['retry-after'], '45');
    assert.match(body(res.text), /Please wait 45 seconds and try again\./);
  });

  it("a day's share spent in the morning: 'tomorrow from' the local time midnight UTC is in the business's zone; Retry-After stays in seconds", async () => {
    const link = await overKnownShare();
    await h.stores.merchants.setXeroTimezone(h.merchant.id, 'SE Asia Standard Time'); // UTC+7
    // 03:00 UTC is 10:00 in Bangkok; the day's counters start again at 00:00 UTC, 07:00 there tomorrow.
    const res = await click(link).expect(429);
    assert.equal(res.headers['retry-after'], String(21 * 3600));
    assert.equal(body(res.text), 'This payment link was opened too many times. Nothing was charged. Please try again tomorrow from 7:00 AM GMT+7.');
    assert.doesNotMatch(res.text, /75600|seconds/);
  });

  it("a day's share spent after midnight local time: 'today from'", async () => {
    const link = await overKnownShare();
    await h.stores.merchants.setXeroTimezone(h.merchant.id, 'SE Asia Standard Time');
    h.clock.advance(15 * 3600_000); // 18:00 UTC, 01:00 in Bangkok: midnight UTC is 07:00 there the same day
    const res = await click(link).expect(429);
    assert.equal(res.headers['retry-after'], String(6 * 3600));
    assert.equal(body(res.text), 'This payment link was opened too many times. Nothing was charged. Please try again today from 7:00 AM GMT+7.');
  });

  it("every customer language has the words, with the time formatted in it; an organisation whose zone is not read yet is shown in its currency's home zone", async () => {
    const link = await overKnownShare();
    assert.equal((await h.stores.merchants.byId(h.merchant.id))?.xeroTimezone ?? null, null, 'no zone read from Xero yet');
    const at = new Date('2026-11-26T00:00:00Z');
    const seen = new Set<string>();
    for (const lang of PAY_LANGS) {
      const res = await click(`${link}&lang=${lang}`).expect(429);
      const text = body(res.text);
      // An IDR clearing account: Jakarta's zone, as the receipt dates payments.
      const expected = i18n.t(lang, 'tooManyTomorrowBody', { time: time(lang, at, 'Asia/Jakarta') });
      assert.equal(text, expected, lang);
      assert.doesNotMatch(text, /tooMany|\{time\}/, `${lang}: no missing key or parameter`);
      assert.ok(text.includes(time(lang, at, 'Asia/Jakarta')), `${lang}: ${text}`);
      seen.add(text);
    }
    assert.equal(seen.size, PAY_LANGS.length, 'each language its own words');
    assert.match(body((await click(`${link}&lang=id`).expect(429)).text), /besok mulai pukul 07\.00 WIB/);
  });

  it('a long wait whose end is not known reads "later"; one over a day names the date; never seconds over 120', () => {
    const now = new Date('2026-11-25T03:00:00Z');
    for (const lang of PAY_LANGS) {
      const later = i18n.t(lang, tooManyText(lang, 3600).key);
      assert.equal(later, i18n.t(lang, 'tooManyLaterBody'));
      assert.doesNotMatch(later, /3600|tooMany/);
      const m = tooManyText(lang, 3 * 86400, { now, at: new Date(now.getTime() + 3 * 86_400_000), timeZone: 'Asia/Bangkok' });
      assert.equal(m.key, 'pay:tooManyDateBody');
      assert.doesNotMatch(i18n.t(lang, m.key, m.params), /tooMany|\{date\}/);
    }
    assert.equal(tooManyText('en', 120).key, 'pay:tooManyBody');
    assert.equal(tooManyText('en', 121, { now, at: new Date(now.getTime() + 121_000) }).key, 'pay:tooManyTodayBody');
  });
});
