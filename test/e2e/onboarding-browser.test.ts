import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { launchChromium, skipWithoutChromium, watchProblems } from '../helpers/browser.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, PASSWORD } from '../helpers/admin.js';
import { openTestDatabase } from '../helpers/db.js';
import { customPaymentUrl, paths } from '../../app/paths.js';
import { createOAuthHarness, type OAuthHarness } from '../helpers/xero-oauth.js';

/**
 * An operator onboards a merchant in a real browser: sign in → connect Xero (Custom Connection) →
 * Xendit key → "Create a Xendit bank account for me" → fee account → go-live page, with no console
 * error or CSP violation. Screenshots of each step go to test-results/onboarding/ (not in git).
 */
describe('admin onboarding in a real browser (Chromium)', function () {
  this.timeout(60_000);
  let h: Harness;
  let close: () => Promise<void>;

  before(async function () {
    skipWithoutChromium(this);
    const opened = await openTestDatabase('embedded');
    close = opened.close;
    h = await createHarness(opened.db);
    await clearAdminTables(opened.db);
    await addUser(h.stores, 'ops@example.com', null);
  });
  after(async () => {
    await h?.close();
    await close?.();
  });

  it('goes from a Custom Connection to the go-live checklist', async () => {
    const org = h.sims.xero.addOrganisation({
      clientId: 'BROWSERCLIENT',
      clientSecret: 'browser-secret-1',
      name: 'Warung Browser',
      shortCode: '!BRW1',
      baseCurrency: 'IDR',
    });
    h.sims.xero.test.removeAccount(org.tenantId, 'Xendit');
    h.sims.xendit.registerAccount({ secretKey: 'xnd_development_BrowserKey42', callbackToken: 'tok-browser', businessName: 'Warung Browser' });
    const shots = 'test-results/onboarding';
    mkdirSync(shots, { recursive: true });

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const problems = await watchProblems(page);

      await page.goto(h.baseUrl + paths.adminLogin);
      await page.fill('#f-email', 'ops@example.com');
      await page.fill('#f-password', PASSWORD);
      await page.click('button:has-text("Sign in")');
      await page.click('nav.adminnav a:has-text("Merchants")');
      await page.fill('#f-clientId', 'BROWSERCLIENT');
      await page.fill('#f-clientSecret', 'browser-secret-1');
      await page.screenshot({ path: `${shots}/1-connect-xero.png`, fullPage: true });
      await page.click('button:has-text("Connect to Xero")');
      await page.waitForURL(/\/xendit$/);
      assert.match((await page.textContent('h1')) ?? '', /Warung Browser/);

      await page.fill('#f-testKey', 'xnd_development_BrowserKey42');
      await page.fill('#f-callbackToken', 'tok-browser');
      await page.click('button:has-text("Check and save")');
      await page.waitForURL(/saved=1$/);
      assert.equal((await page.textContent('#h-testKey'))?.trim(), 'Stored: …ey42. Leave empty to keep it.');
      await page.screenshot({ path: `${shots}/2-xendit.png`, fullPage: true });

      await page.click('nav.tabs a:has-text("Accounts")');
      await page.click('button:has-text("Create a Xendit bank account for me")');
      await page.waitForURL(/created=Xendit$/);
      const created = h.sims.xero.test.organisation(org.tenantId).accounts.find((a) => a.name === 'Xendit');
      assert.equal(created?.bankAccountNumber, '1000000000');
      await page.selectOption('#f-feeAccountCode', '404');
      await page.click('button:has-text("Save accounts")');
      await page.waitForURL(/saved=1$/);
      await page.screenshot({ path: `${shots}/3-accounts.png`, fullPage: true });

      await page.click('nav.tabs a:has-text("Go live")');
      assert.equal(await page.inputValue('#custom-url'), customPaymentUrl(h.baseUrl));
      assert.equal(await page.locator('li.step.done').count(), 3, 'Xero, Xendit and clearing account done; no callback yet');
      assert.equal(await page.isVisible('button[data-copy=custom-url]'), true, 'copy.js shows the Copy button');
      await page.screenshot({ path: `${shots}/4-go-live.png`, fullPage: true });

      // Settings by keyboard only: Tab to the fee switch's "off" option, arrow keys pick it, Enter submits.
      await page.click('nav.tabs a:has-text("Settings")');
      await page.focus('#f-feePosting-bank_transaction');
      await page.keyboard.press('ArrowDown'); // manual journal
      await page.keyboard.press('ArrowDown'); // off
      await page.keyboard.press('Enter');
      await page.waitForURL(/settings\?saved=1$/);
      assert.equal(await page.isChecked('#f-feePosting-off'), true);
      await page.screenshot({ path: `${shots}/5-settings.png`, fullPage: true });

      // The payments page and the report fit a phone's width (tables scroll inside their box).
      const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      await page.click('nav.adminnav a:has-text("Payments")');
      await page.fill('#f-from', '2026-11-01');
      await page.click('button:has-text("Filter")');
      await page.waitForURL(/from=2026-11-01/);
      assert.equal(await fits(), true, 'no horizontal scrolling of the payments page at 390 px');
      await page.screenshot({ path: `${shots}/6-payments.png`, fullPage: true });
      await page.click('footer a[lang=id]');
      assert.equal(await page.textContent('h1'), 'Pembayaran');
      await page.click('nav.adminnav a:has-text("Rekonsiliasi")');
      assert.equal(await fits(), true, 'no horizontal scrolling of the report form at 390 px');
      await page.screenshot({ path: `${shots}/7-report-id.png`, fullPage: true });
      assert.deepEqual(problems, [], 'no console errors or CSP violations');
    } finally {
      await browser.close();
    }
  });
});

/**
 * "Connect to Xero" (OAuth 2.0) in a real browser: the admin's button posts to us, we redirect to
 * the simulated Xero login/consent page (form-action must allow that origin), the user allows two
 * organisations, comes back, picks one and lands on the Xendit step. Every page is watched for CSP
 * violations. Screenshots go to test-results/oauth/ (not in git).
 */
describe('Connect to Xero (OAuth) in a real browser (Chromium)', function () {
  this.timeout(60_000);
  let h: OAuthHarness;
  let close: () => Promise<void>;

  before(async function () {
    skipWithoutChromium(this);
    const opened = await openTestDatabase('embedded');
    close = opened.close;
    h = await createOAuthHarness(opened.db);
    await clearAdminTables(opened.db);
    await addUser(h.stores, 'ops@example.com', null);
  });
  after(async () => {
    await h?.close();
    await close?.();
  });

  it('consents at the simulated Xero, picks one of two organisations, with no CSP violation', async () => {
    h.sims.xero.addOrganisation({ clientId: 'OA-ONE', clientSecret: 'oa-one-secret', name: 'Warung Satu', shortCode: '!OA1', baseCurrency: 'IDR' });
    const two = h.sims.xero.addOrganisation({ clientId: 'OA-TWO', clientSecret: 'oa-two-secret', name: 'Warung Dua', shortCode: '!OA2', baseCurrency: 'IDR' });
    const shots = 'test-results/oauth';
    mkdirSync(shots, { recursive: true });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const problems = await watchProblems(page, { responses: true });

      await page.goto(h.baseUrl + paths.adminLogin);
      await page.fill('#f-email', 'ops@example.com');
      await page.fill('#f-password', PASSWORD);
      await page.click('button:has-text("Sign in")');
      await page.click('nav.adminnav a:has-text("Merchants")');
      await page.screenshot({ path: `${shots}/1-merchants.png`, fullPage: true });
      await page.click('form.xero-connect button');
      await page.waitForURL((u) => u.href.startsWith(`${h.sims.xeroUrl}/identity/connect/authorize`));
      assert.match((await page.textContent('h1')) ?? '', /Allow access/);
      for (const box of await page.locator('input[name=tenant]').all()) await box.check();
      await page.screenshot({ path: `${shots}/2-xero-consent.png`, fullPage: true });
      await page.click('button:has-text("Allow access")');
      await page.waitForURL((u) => u.pathname === paths.adminXeroCallback);
      await page.screenshot({ path: `${shots}/3-pick-organisation.png`, fullPage: true });
      await page.check(`input[name=tenantId][value="${two.tenantId}"]`);
      await page.click('button:has-text("Use this organisation")');
      await page.waitForURL(/\/xendit\?xero=connected$/);
      assert.match((await page.textContent('h1')) ?? '', /Warung Dua/);
      await page.screenshot({ path: `${shots}/4-xendit-step.png`, fullPage: true });
      await page.click('nav.tabs a:has-text("Go live")');
      assert.match((await page.textContent('[data-xero=connected]')) ?? '', /Connected to Warung Dua/);
      await page.screenshot({ path: `${shots}/5-go-live.png`, fullPage: true });
      assert.deepEqual(problems, [], 'no console errors or CSP violations');
      const m = (await h.stores.merchants.list()).find((x) => x.shortCode === '!OA2');
      assert.equal(m?.xeroConnection, 'oauth');
    } finally {
      await browser.close();
    }
  });
});
