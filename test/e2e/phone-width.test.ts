import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { launchChromium, skipWithoutChromium, watchProblems } from '../helpers/browser.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, PASSWORD } from '../helpers/admin.js';
import { openTestDatabase } from '../helpers/db.js';

/**
 * The customer's pages on a 390 px phone: nothing wider than the screen, even with a 254-character
 * invoice number (it once made the page 2 764 px wide), and tap targets of at least 44 px.
 */
describe('customer pages on a phone (Chromium, 390 px)', function () {
  this.timeout(60_000);
  let h: Harness;
  let close: () => Promise<void>;
  before(async function () {
    skipWithoutChromium(this);
    const opened = await openTestDatabase('embedded');
    close = opened.close;
    h = await createHarness(opened.db);
  });
  after(async () => {
    await h?.close();
    await close?.();
  });

  it('wraps a 254-character invoice number and keeps buttons tappable', async () => {
    const long = `INV-${'9'.repeat(250)}`;
    const paid = h.addInvoice({ invoiceNumber: long, status: 'PAID' });
    mkdirSync('test-results/phone', { recursive: true });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const problems = await watchProblems(page);
      for (const [name, url] of [
        ['already-paid', h.payUrl(paid.invoiceNumber)],
        ['unknown', h.payUrl(`${long.slice(0, 240)}-NONE`)],
      ] as const) {
        await page.goto(h.baseUrl + url);
        assert.match((await page.textContent('body')) ?? '', /\S/);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        await page.screenshot({ path: `test-results/phone/${name}.png`, fullPage: true });
        assert.ok(width <= 390, `${name}: the page is ${width} px wide at 390 px`);
        for (const box of await page.$$eval('a.button, button', (els) => els.map((e) => e.getBoundingClientRect().height)))
          assert.ok(box >= 44, `tap target ${box} px`);
      }
      // The pages themselves answer 404/409 (Chromium logs that); anything else is a problem.
      assert.deepEqual(
        problems.filter((p) => !/status of (404|409)/.test(p)),
        [],
        'no console errors or CSP violations',
      );
    } finally {
      await browser.close();
    }
  });

  it("the admin's payments read as cards on a phone, nothing wider than the screen", async () => {
    await clearAdminTables(h.stores.db);
    await addUser(h.stores, 'ops@example.com', null, h.clock());
    await paidThroughGateway(h);
    await h.worker.drain();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const problems = await watchProblems(page);
      await page.goto(`${h.baseUrl}/admin/login`);
      await page.fill('input[name=email]', 'ops@example.com');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL((u) => u.pathname === '/admin');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      await page.screenshot({ path: 'test-results/phone/admin-payments.png', fullPage: true });
      assert.ok(width <= 390, `the payments page is ${width} px wide at 390 px`);
      const cell = await page.$eval('#payments tbody td', (td) => ({ display: getComputedStyle(td).display, label: getComputedStyle(td, '::before').content }));
      assert.equal(cell.display, 'flex', 'a card, not a table row');
      assert.match(cell.label, /Paid/);
      assert.deepEqual(problems, [], 'no console errors or CSP violations');
    } finally {
      await browser.close();
    }
  });
});
