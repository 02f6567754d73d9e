import { strict as assert } from 'node:assert';
import type { Browser } from 'playwright-core';
import { launchChromium, skipWithoutChromium, watchProblems } from '../helpers/browser.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { openTestDatabase } from '../helpers/db.js';

/**
 * The part-payment page's form is answered with a 303 to Xendit's checkout, on another origin as in
 * production (the harness's gateway and Xendit simulator listen on different ports). Chromium holds
 * that redirect to the page's CSP form-action: the customer must still reach the checkout.
 */
describe('paying part of an invoice in a real browser (Chromium, checkout on another origin)', function () {
  this.timeout(120_000);
  let h: Harness;
  let close: () => Promise<void>;
  let browser: Browser | undefined;
  before(async function () {
    skipWithoutChromium(this);
    const opened = await openTestDatabase('embedded');
    close = opened.close;
    h = await createHarness(opened.db);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
    await close?.();
  });

  it('the "how much" form reaches the Xendit checkout, with no CSP violation', async () => {
    await h.stores.merchants.setSettings(h.merchant.id, { ...h.merchant, salesTaxType: null, partialMinPercent: 25 }, h.clock());
    const inv = h.addInvoice({ lineItems: [{ description: 'Katering', quantity: '1', unitAmount: '400000' }] });
    const checkout = new URL(h.sims.xenditUrl).origin;
    assert.notEqual(checkout, new URL(h.baseUrl).origin);

    const page = await browser!.newPage();
    const problems = await watchProblems(page);
    await page.goto(`${h.baseUrl}${h.payUrl(inv.invoiceNumber)}&lang=en`);
    await page.fill('#part', '150000');
    await page.click('#amount-form button[type=submit]');
    await page.waitForURL((u) => u.origin === checkout && u.pathname.startsWith('/checkout/'), { timeout: 15_000 });
    assert.equal(h.sims.xendit.listInvoices()[0].amount, 150000);
    assert.deepEqual(problems, [], 'no console errors or CSP violations');
  });
});
