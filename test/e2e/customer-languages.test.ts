import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium, watchProblems } from '../helpers/browser.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { openTestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/spawn.js';
import { PAY_LANGS } from '../../app/i18n/index.js';

const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } } as const;
const DIR = 'test-results/customer';

/**
 * The customer's side in each of the five languages, on a phone and a desktop: pay → Xendit's
 * checkout → the receipt, and each page a customer may meet instead. Screenshots in test-results/customer.
 */
describe('customer pages in five languages (Chromium, phone and desktop)', function () {
  this.timeout(180_000);
  let h: Harness;
  let close: () => Promise<void>;
  before(async function () {
    skipWithoutChromium(this);
    const opened = await openTestDatabase('embedded');
    close = opened.close;
    // One browser on 127.0.0.1 clicks fifty times here: a customer never does (limits: test/integration/pay-rate-limit.test.ts).
    h = await createHarness(opened.db, {
      env: { PAY_RATE_LIMIT_PER_IP: '1000', PAY_RATE_LIMIT_PER_SHORTCODE: '1000', PAY_RATE_LIMIT_PER_INVOICE: '1000', PAY_UNKNOWN_PER_WINDOW: '1000' },
    });
    mkdirSync(DIR, { recursive: true });
  });
  after(async () => {
    await h?.close();
    await close?.();
  });

  /** No horizontal scrolling, tap targets of 44 px, the page in `lang`, and a screenshot. */
  async function check(page: Page, lang: string, name: string, viewport: keyof typeof VIEWPORTS): Promise<void> {
    assert.equal(await page.getAttribute('html', 'lang'), lang, name);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= VIEWPORTS[viewport].width, `${lang} ${name}: ${width} px wide at ${VIEWPORTS[viewport].width} px`);
    for (const height of await page.$$eval('a.button, button, nav.langs a', (els) => els.map((e) => e.getBoundingClientRect().height)))
      assert.ok(height >= 44, `${lang} ${name}: a tap target of ${height} px`);
    await page.screenshot({ path: `${DIR}/${lang}-${viewport}-${name}.png`, fullPage: true });
  }

  for (const lang of PAY_LANGS) {
    it(`${lang}: pays an invoice and keeps a receipt; the other pages read right`, async () => {
      const inv = h.addInvoice({
        invoiceNumber: `INV-${lang.toUpperCase()}-${'7'.repeat(60)}`,
        contact: { name: 'Nguyễn Thị Minh Khai Trading & Co.', email: 'k@example.vn' },
      });
      const paid = h.addInvoice({ status: 'PAID' });
      const browser = await launchChromium();
      try {
        for (const viewport of Object.keys(VIEWPORTS) as (keyof typeof VIEWPORTS)[]) {
          const page = await browser.newPage({ viewport: VIEWPORTS[viewport] });
          const problems = await watchProblems(page);
          const callbacks = await h.count('callback_events');
          if (viewport === 'phone') {
            await page.goto(`${h.baseUrl}${h.payUrl(inv.invoiceNumber)}&lang=${lang}`);
            await page.waitForURL(/\/checkout\//);
            await page.click('button:has-text("Pay")');
            await page.waitForURL(/\/pay\/return/);
            await check(page, lang, 'confirming', viewport);
            await waitFor('the PAID callback', async () => ((await h.count('callback_events')) > callbacks ? true : undefined), 20_000);
            await h.worker.drain();
            // The page refreshes itself (meta refresh) into the receipt.
            await page.waitForSelector('dl.receipt', { timeout: 20_000 });
          } else {
            const x = h.sims.xendit.listInvoices().find((i) => i.external_id.includes(`INV-${lang.toUpperCase()}`))!;
            await page.goto(x.success_redirect_url!);
          }
          await check(page, lang, 'receipt', viewport);
          assert.match((await page.textContent('dl.receipt')) ?? '', new RegExp(inv.invoiceNumber));
          await page.emulateMedia({ media: 'print' });
          assert.equal(await page.isVisible('nav.langs'), false, 'print: no language switch');
          await page.emulateMedia({ media: 'screen' });

          for (const [name, url] of [
            ['already-paid', h.payUrl(paid.invoiceNumber)],
            ['not-found', h.payUrl(`INV-NONE-${lang}`)],
            ['out-of-date', h.payUrl(inv.invoiceNumber, { amount: '1.00' })],
            ['incomplete', '/pay?invoiceNo=X'],
          ] as const) {
            await page.goto(`${h.baseUrl}${url}&lang=${lang}`);
            await check(page, lang, name, viewport);
          }
          // The pages themselves answer 400/404/409 (Chromium logs that); anything else is a problem.
          assert.deepEqual(
            problems.filter((p) => !/status of (400|404|409)/.test(p)),
            [],
            `${lang} ${viewport}: no console errors or CSP violations`,
          );
          await page.close();
        }
      } finally {
        await browser.close();
      }
    });
  }
});
