import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, skipWithoutChromium, watchProblems } from '../helpers/browser.js';
import { DEMO2 } from '../../app/simulators/demo-data.js';
import { paths } from '../../app/paths.js';
import { freePort, spawnStart, waitFor, type Spawned } from '../helpers/spawn.js';

const SHOTS = 'test-results/journey';

/**
 * The whole journey of a new merchant, in a real browser against `npm start` (demo mode, fresh
 * embedded database): first-run setup link → first operator → sign out and in → Connect to Xero
 * through the simulated consent page → Xendit keys (token read from, and callback URL pasted
 * into, the simulated Xendit dashboard) → "Create a Xendit bank account for me" + fee account →
 * go-live page's Custom Payment URL, filled in for a real invoice as Xero does → simulated Xendit
 * checkout → Pay → PAID callback → worker → the payments dashboard shows it recorded and the
 * simulated Xero shows the invoice PAID. No console error, CSP violation or 4xx/5xx on the way.
 * Screenshots of each step go to test-results/journey/ (not in git).
 */
describe('full merchant journey in a real browser (npm start, Chromium)', function () {
  this.timeout(240_000);
  let gw: Spawned | undefined;
  let base: string;
  let dataDir: string | undefined;
  let browser: Browser | undefined;

  before(async function () {
    skipWithoutChromium(this);
    dataDir = mkdtempSync(join(tmpdir(), 'gw-journey-'));
    const port = await freePort();
    base = `http://localhost:${port}`;
    gw = spawnStart({ PORT: String(port), DATA_DIR: dataDir });
    await waitFor('the gateway to listen', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 120_000).catch((err) => {
      throw new Error(`${err.message}\n--- gateway output ---\n${gw!.output()}`);
    });
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    if (gw) {
      gw.child.kill('SIGTERM');
      const code = await gw.exited;
      assert.equal(code, 0, `graceful shutdown exits 0\n${gw.output()}`);
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('onboards a merchant and records its first payment', async () => {
    const page = await browser!.newPage({ viewport: { width: 1024, height: 900 } });
    page.setDefaultTimeout(60_000);
    page.setDefaultNavigationTimeout(60_000);
    const problems = await watchProblems(page, { responses: true });
    let step = 0;
    const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${String(++step).padStart(2, '0')}-${name}.png`, fullPage: true });

    // 1. First run: the one-time setup link on the demo home page creates the first operator.
    await page.goto(base + '/');
    const setupLink = await page.getAttribute('#setup-link a', 'href');
    assert.match(setupLink ?? '', /\/admin\/setup\/[\w-]{43}$/);
    assert.ok(gw!.output().includes(setupLink!), 'the same link is in the log');
    await shot('home-setup-link');
    await page.click('#setup-link a');
    await page.fill('#f-email', 'owner@warung.test');
    await page.fill('#f-password', 'a long operator password');
    await page.fill('#f-confirm', 'a long operator password');
    await shot('setup');
    await page.click('button:has-text("Create operator")');
    await page.waitForURL((u) => u.pathname === paths.admin);

    // 2. Sign out and sign in again with the new operator.
    await page.click('nav.adminnav button:has-text("Sign out")');
    await page.waitForURL((u) => u.pathname !== paths.admin);
    await page.goto(base + paths.adminLogin);
    await page.fill('#f-email', 'owner@warung.test');
    await page.fill('#f-password', 'a long operator password');
    await shot('sign-in');
    await page.click('button:has-text("Sign in")');
    await page.waitForURL((u) => u.pathname === paths.admin);

    // 3. Connect to Xero (OAuth) through the simulated Xero login and consent page.
    await page.click('nav.adminnav a:has-text("Merchants")');
    await page.click('form.xero-connect button');
    await page.waitForURL((u) => u.pathname.endsWith('/identity/connect/authorize'));
    assert.match((await page.textContent('h1')) ?? '', /Allow access/);
    await page.check(`label:has-text("${DEMO2.merchantName}") input[name=tenant]`);
    await shot('xero-consent');
    await page.click('button:has-text("Allow access")');
    await page.waitForURL(/\/xendit\?xero=connected$/);
    assert.match((await page.textContent('h1')) ?? '', new RegExp(DEMO2.merchantName.replace(/[()]/g, '\\$&')));
    const xenditStep = page.url();
    const callbackUrl = await page.inputValue('#callback-url');
    assert.match(callbackUrl, new RegExp(`^${base}/`));

    // 4. At the simulated Xendit dashboard (Settings → Callbacks), as a merchant does: paste our
    //    callback URL for "Invoices paid" and read the callback verification token.
    await page.goto(base + paths.simXendit + '/dashboard');
    await page.click('a:has-text("Settings → Callbacks")');
    const account = page.locator(`section[data-account="${DEMO2.merchantName}"]`);
    const callbackToken = (await account.locator('code.token').textContent())?.trim() ?? '';
    assert.equal(callbackToken, DEMO2.callbackToken);
    await account.locator('input[name=invoice_paid_url]').fill(callbackUrl);
    await account.locator('button:has-text("Save")').click();
    await page.waitForURL(/\/dashboard\/callbacks\?saved=/);
    assert.equal(await page.locator(`section[data-account="${DEMO2.merchantName}"] input[name=invoice_paid_url]`).inputValue(), callbackUrl);
    await shot('xendit-dashboard-callbacks');

    // 5. Xendit keys: checked with a real (simulated) call, then saved.
    await page.goto(xenditStep);
    await page.fill('#f-testKey', DEMO2.xenditSecretKey);
    await page.fill('#f-callbackToken', callbackToken);
    await page.click('button:has-text("Check and save")');
    await page.waitForURL(/saved=1$/);
    assert.match((await page.textContent('#h-testKey')) ?? '', /Stored: …ey_2\./);
    await shot('xendit-keys');

    // 6. "Create a Xendit bank account for me" in the new organisation, then the fee account.
    await page.click('nav.tabs a:has-text("Accounts")');
    await page.click('button:has-text("Create a Xendit bank account for me")');
    await page.waitForURL(/created=Xendit$/);
    await page.selectOption('#f-feeAccountCode', '404');
    await page.click('button:has-text("Save accounts")');
    await page.waitForURL(/saved=1$/);
    await shot('accounts');

    // 7. Go live: the Custom Payment URL to paste into Xero.
    await page.click('nav.tabs a:has-text("Go live")');
    const template = await page.inputValue('#custom-url');
    assert.equal(template, `${base}/pay?invoiceNo=[INVOICENUMBER]&currency=[CURRENCY]&amount=[AMOUNTDUE]&shortCode=[SHORTCODE]`);
    assert.equal(await page.locator('li.step.done').count(), 3, 'Xero, Xendit and clearing account done; no callback yet');
    await shot('go-live');

    // 8. The invoice in the simulated Xero, and the link Xero makes of the template for it.
    await page.goto(base + paths.simXero + '/');
    const row = page.locator(`tr:has-text("${DEMO2.invoice.invoiceNumber}")`);
    assert.match((await row.textContent()) ?? '', /AUTHORISED/);
    assert.match((await row.textContent()) ?? '', new RegExp(DEMO2.invoice.amountDue.replace('.', '\\.')));
    const payLink = template
      .replace('[INVOICENUMBER]', encodeURIComponent(DEMO2.invoice.invoiceNumber))
      .replace('[CURRENCY]', encodeURIComponent(DEMO2.invoice.currency))
      .replace('[AMOUNTDUE]', encodeURIComponent(DEMO2.invoice.amountDue))
      .replace('[SHORTCODE]', encodeURIComponent(DEMO2.shortCode));

    // 9. The customer clicks "Pay with Xendit", pays at the simulated checkout.
    await page.goto(payLink);
    await page.waitForURL(/\/_sim\/xendit\/checkout\//);
    assert.match((await page.textContent('body')) ?? '', /IDR\s*180[.,]?000/);
    await shot('checkout');
    await page.click('button:has-text("Pay")');
    await page.waitForURL(/\/pay\/return/);
    // The page refreshes itself until the worker has confirmed the payment with Xendit.
    await page.waitForFunction(() => /Terima kasih|Thank you/.test(document.querySelector('h1')?.textContent ?? ''), undefined, { timeout: 20_000 });
    await shot('thank-you');

    // 10. The callback reached us and the worker recorded the payment in Xero.
    await waitFor(
      'the payment to show "Recorded in Xero" on the dashboard',
      async () => {
        await page.goto(base + paths.admin);
        const state = await page.locator(`#payments tr:has-text("${DEMO2.invoice.invoiceNumber}") .badge`).textContent({ timeout: 2_000 });
        return state?.trim() === 'Recorded in Xero' ? true : undefined;
      },
      120_000,
    );
    await shot('dashboard-recorded');
    await page.goto(base + paths.simXero + '/');
    assert.match((await page.locator(`tr:has-text("${DEMO2.invoice.invoiceNumber}")`).first().textContent()) ?? '', /PAID/);
    await shot('xero-paid');

    // The go-live checklist now has the callback too.
    await page.goto(xenditStep.replace(/\/xendit(\?.*)?$/, ''));
    assert.equal(await page.locator('li.step.done').count(), 4, 'callback received: all four steps done');
    await shot('go-live-done');
    assert.deepEqual(problems, [], 'no console errors, CSP violations or 4xx/5xx responses');
  });
});
