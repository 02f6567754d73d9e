import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { launchChromium, skipWithoutChromium, watchProblems } from '../helpers/browser.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as cheerio from 'cheerio';
import { freePort, spawnStart, spawnTs, waitFor, type Spawned } from '../helpers/spawn.js';

/**
 * `npm start` on a fresh data directory with no configuration, driven over HTTP the way a person
 * clicks through the demo: home page → Pay with Xendit → simulated Xendit checkout → Pay →
 * callback → worker → the simulated Xero shows the invoice PAID with one payment; then the rest of
 * the demo path: a part refund and a withdrawal at the simulated Xendit dashboard, an invoice voided
 * in the simulated Xero while its checkout is open (its signed webhook expires the checkout), and
 * the admin's report reconciled with Xendit's balance equal to the clearing account's per currency.
 */

describe('demo journey (npm start, no configuration)', function () {
  this.timeout(90_000);
  let gw: Spawned;
  let base: string;
  let dataDir: string;
  /** Signed in as the operator the setup link made. */
  let operatorCookie: string | undefined;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gw-demo-'));
    const port = await freePort();
    base = `http://localhost:${port}`;
    gw = spawnStart({ PORT: String(port), DATA_DIR: dataDir });
    await waitFor('the gateway to listen', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 60_000).catch((err) => {
      throw new Error(`${err.message}\n--- gateway output ---\n${gw.output()}`);
    });
  });

  after(async () => {
    gw?.child.kill('SIGTERM');
    const code = await gw?.exited;
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(code, 0, `graceful shutdown exits 0\n${gw.output()}`);
  });

  const get = (url: string) => fetch(new URL(url, base), { redirect: 'manual' });

  it('pays a demo invoice end to end and shows it PAID in the simulated Xero', async () => {
    const home = cheerio.load(await (await get('/')).text());
    const row = home('tr').filter((_, tr) => home(tr).text().includes('INV-0001'));
    const payLink = row.find('a').attr('href')!;
    assert.match(payLink, /\/pay\?invoiceNo=INV-0001&currency=IDR&amount=[\d.]+&shortCode=/);

    const pay = await get(payLink);
    assert.equal(pay.status, 303);
    const checkoutUrl = pay.headers.get('location')!;
    assert.equal(new URL(checkoutUrl).origin, base, 'demo checkout runs on the same server');

    const checkout = cheerio.load(await (await get(checkoutUrl)).text());
    // Paid with ShopeePay, which Xendit refunds in part (the next test): a virtual account it never refunds.
    const payForm = checkout('form').filter(
      (_, f) => /pay$/.test(checkout(f).attr('action') ?? '') && checkout(f).find('input[name=channel]').val() === 'SHOPEEPAY',
    );
    assert.equal(payForm.length, 1, 'the simulated checkout offers to pay with ShopeePay');
    const paid = await fetch(new URL(payForm.attr('action')!, checkoutUrl), {
      method: 'POST',
      body: new URLSearchParams({ channel: 'SHOPEEPAY' }),
      redirect: 'manual',
    });
    assert.equal(paid.status, 303);
    // The return page says "received" once the worker has confirmed it with Xendit; until then it
    // refreshes itself, as a browser would.
    const returnUrl = paid.headers.get('location')!;
    await waitFor('the return page to confirm the payment', async () => {
      const thanks = cheerio.load(await (await get(returnUrl)).text());
      return /Terima kasih|Thank you/.test(thanks('h1').text()) ? true : undefined;
    });

    await waitFor('the invoice to show PAID in the Xero simulator', async () => {
      const xero = cheerio.load(await (await get('/_sim/xero/')).text());
      const text = xero('body').text();
      return /INV-0001[\s\S]*?PAID/.test(text) ? true : undefined;
    });
    // 400 000 IDR paid, Xendit's 2.9 % fee (11 600) posted as Spend Money: the clearing account
    // holds what Xendit settles.
    await waitFor('the fee to be posted in the Xero simulator', async () => {
      const xero = cheerio.load(await (await get('/_sim/xero/')).text());
      // The first organisation is the demo merchant's (a second one is there to pick at Connect to Xero).
      return xero('[data-balance="090"]').first().text() === '388400.00' ? true : undefined;
    });
    const xero = cheerio.load(await (await get('/_sim/xero/')).text());
    assert.match(xero('body').text(), /Spend money\s*Xendit\s*11600\.00 IDR\s*Xendit fee \w+090 Xendit → 404/);
    const again = await get(payLink);
    assert.equal(again.status, 200, 'clicking the link again says already paid');
  });

  it('carries a part refund made at the simulated Xendit dashboard into the simulated Xero as a credit note and its cash refund', async () => {
    const home = cheerio.load(await (await get('/')).text());
    const dashboardUrl = new URL(home('#backend-flow a').attr('href')!, base);
    const dashboard = cheerio.load(await (await get(dashboardUrl.href)).text());
    const form = dashboard('form.refund').first();
    assert.equal(form.length, 1, 'a paid invoice offers a refund');
    const fields = new URLSearchParams({ invoice_id: String(form.find('input[name=invoice_id]').val()), amount: '50000' });
    const refunded = await fetch(new URL(form.attr('action')!, dashboardUrl), { method: 'POST', body: fields, redirect: 'manual' });
    assert.equal(refunded.status, 303);
    const text = await waitFor('the credit note and its refund in the Xero simulator', async () => {
      const t = cheerio
        .load(await (await get('/_sim/xero/')).text())('#credit-notes')
        .text();
      return /50000\.00 refunded from 090 Xendit/.test(t) ? t : undefined;
    });
    assert.match(text, /50000\.00 IDR\s*Xendit refund rfd-/);
  });

  it('records a payment started at the simulated Xendit dashboard (backend flow) as invoice + payment + fee', async () => {
    const home = cheerio.load(await (await get('/')).text());
    const dashboardUrl = home('#backend-flow a').attr('href')!;
    const dashboard = cheerio.load(await (await get(dashboardUrl)).text());
    const form = dashboard('form');
    const fields = new URLSearchParams();
    form.find('input, select').each((_, el) => {
      const name = dashboard(el).attr('name')!;
      fields.set(
        name,
        String(
          dashboard(el).is('select')
            ? (dashboard(el).find('option').first().attr('value') ?? dashboard(el).find('option').first().text())
            : dashboard(el).val(),
        ),
      );
    });
    fields.set('amount', '250000');
    fields.set('customer_name', 'Sari Wulandari');
    const created = await fetch(new URL(form.attr('action')!, base), { method: 'POST', body: fields, redirect: 'manual' });
    assert.equal(created.status, 303);
    const checkoutUrl = new URL(created.headers.get('location')!, base);
    const checkout = cheerio.load(await (await get(checkoutUrl.href)).text());
    const payAction = checkout('form')
      .filter((_, f) => /pay$/.test(checkout(f).attr('action') ?? ''))
      .attr('action')!;
    assert.equal((await fetch(new URL(payAction, checkoutUrl), { method: 'POST', redirect: 'manual' })).status, 303);

    const xenditId = decodeURIComponent(checkoutUrl.pathname.split('/').at(-1)!);
    await waitFor('the backend sale and its fee in the Xero simulator', async () => {
      const text = cheerio
        .load(await (await get('/_sim/xero/')).text())('body')
        .text();
      return text.includes(`Xendit fee ${xenditId}`) ? text : undefined;
    });
    const text = cheerio
      .load(await (await get('/_sim/xero/')).text())('body')
      .text();
    assert.match(text, new RegExp(`ACCREC\\s*Sari Wulandari\\s*Xendit ${xenditId}\\s*IDR\\s*250000\\.00\\s*0\\.00\\s*PAID`));
    assert.match(text, new RegExp(`250000\\.00 IDR\\s*Xendit ${xenditId}\\s*090 Xendit`));
    assert.match(text, new RegExp(`Spend money\\s*Xendit\\s*7250\\.00 IDR\\s*Xendit fee ${xenditId}`));
  });

  it('offers the first-run setup link on the home page and in the log, and drops it once used', async () => {
    const home = cheerio.load(await (await get('/')).text());
    const link = home('#setup-link a').attr('href')!;
    assert.match(link, /^http:\/\/localhost:\d+\/admin\/setup\/[\w-]{43}$/);
    assert.ok(gw.output().includes(link), 'the same link is in the log');

    const form = await get(link);
    assert.equal(form.status, 200);
    const cookie = form.headers.get('set-cookie')!.split(';')[0];
    const csrf = cheerio
      .load(await form.text())('input[name=_csrf]')
      .val() as string;
    const body = new URLSearchParams({ _csrf: csrf, email: 'ops@demo.test', password: 'demo operator password', confirm: 'demo operator password' });
    const created = await fetch(link, { method: 'POST', body, headers: { cookie }, redirect: 'manual' });
    assert.equal(created.status, 303);
    assert.equal(created.headers.get('location'), '/admin');
    operatorCookie = created.headers.get('set-cookie')?.split(';')[0] ?? cookie;

    const after = cheerio.load(await (await get('/')).text());
    assert.equal(after('#setup-link').length, 0);
    assert.equal((await get(link)).status, 410);
  });

  it('carries a withdrawal made at the simulated Xendit dashboard into the simulated Xero as a bank transfer to the savings account, and back when the bank returns it', async function () {
    this.timeout(200_000); // two runs of the demo's 15-second listing, one for each transfer, with room to spare
    const home = cheerio.load(await (await get('/')).text());
    const dashboardUrl = new URL(home('#backend-flow a').attr('href')!, base);
    const dashboard = cheerio.load(await (await get(dashboardUrl.href)).text());
    const form = dashboard('form.withdraw').first();
    assert.equal(form.length, 1, 'the balance offers a withdrawal');
    const fields = new URLSearchParams({
      account: String(form.find('input[name=account]').val()),
      currency: String(form.find('input[name=currency]').val()),
      amount: '10000',
    });
    // Only settled money can be withdrawn: the demo's Xendit settles a payment a few seconds after it (the real one a day or more).
    await waitFor(
      'the withdrawal to be accepted once the payments have settled',
      async () => {
        const withdrawn = await fetch(new URL(form.attr('action')!, dashboardUrl), { method: 'POST', body: fields, redirect: 'manual' });
        if (withdrawn.status === 303) return true;
        assert.equal(withdrawn.status, 400, 'refused only for the balance');
        assert.match(
          cheerio
            .load(await withdrawn.text())('.problems')
            .text(),
          /exceeds the balance/,
        );
        return undefined;
      },
      30_000,
    );
    // Found by the listing of withdrawals, every 15 seconds in the demo (WITHDRAWAL_LIST_MINUTES).
    const text = await waitFor(
      'the bank transfer in the Xero simulator',
      async () => {
        const t = cheerio
          .load(await (await get('/_sim/xero/')).text())('#bank-transfers')
          .text();
        return /Xendit withdrawal txn_/.test(t) ? t : undefined;
      },
      80_000,
    );
    assert.match(text, /090 Xendit\s*091 Business Savings Account\s*10000\.00 IDR\s*Xendit withdrawal txn_[\w-]+\s*yes \/ no/);

    // The receiving bank sends it back: the next listing books the transfer back, 091 → 090.
    const withdrawals = cheerio.load(await (await get(dashboardUrl.href)).text());
    const sendBack = withdrawals('tr[data-withdrawal] form').first();
    assert.equal(sendBack.find('button').text(), 'Bank sends it back');
    assert.equal((await fetch(new URL(sendBack.attr('action')!, dashboardUrl), { method: 'POST', redirect: 'manual' })).status, 303);
    const back = await waitFor(
      'the transfer back in the Xero simulator',
      async () => {
        const t = cheerio
          .load(await (await get('/_sim/xero/')).text())('#bank-transfers')
          .text();
        return /Xendit withdrawal reversed txn_/.test(t) ? t : undefined;
      },
      80_000,
    );
    assert.match(back, /091 Business Savings Account\s*090 Xendit\s*10000\.00 IDR\s*Xendit withdrawal reversed txn_[\w-]+\s*no \/ yes/);
  });

  it('voids an invoice in the simulated Xero while its Xendit checkout is open: the signed webhook expires the checkout and the customer can no longer pay', async () => {
    assert.ok(operatorCookie, 'the operator made by the setup link above');
    // The customer clicks Pay with Xendit on INV-0006 and leaves the checkout open.
    const home = cheerio.load(await (await get('/')).text());
    const payLink = home('tr')
      .filter((_, tr) => home(tr).text().includes('INV-0006'))
      .find('a[href*="/pay?"]')
      .attr('href')!;
    const pay = await get(payLink);
    assert.equal(pay.status, 303);
    const checkoutUrl = pay.headers.get('location')!;
    const payFormOf = async () => {
      const checkout = cheerio.load(await (await get(checkoutUrl)).text());
      return checkout('form').filter((_, f) => /\/pay$/.test(checkout(f).attr('action') ?? ''));
    };
    const payAction = (await payFormOf()).attr('action');
    assert.ok(payAction, 'the checkout is open and offers Pay');

    // Meanwhile the merchant opens INV-0006 in the simulated Xero and presses Void this invoice.
    const xero = cheerio.load(await (await get('/_sim/xero/')).text());
    const invoicePage = xero('a')
      .filter((_, a) => xero(a).text() === 'INV-0006')
      .first()
      .attr('href')!;
    assert.ok(invoicePage, 'the simulated Xero links INV-0006 to its page');
    const page = cheerio.load(await (await get(invoicePage)).text());
    const voidForm = page('#void-invoice').closest('form');
    assert.equal(voidForm.length, 1, 'an open invoice without payments offers Void');
    const voided = await fetch(new URL(voidForm.attr('action')!, base), {
      method: 'POST',
      body: new URLSearchParams({ InvoiceID: String(voidForm.find('input[name=InvoiceID]').val()) }),
      redirect: 'manual',
    });
    assert.equal(voided.status, 303);
    const after = cheerio.load(await (await get(voided.headers.get('location')!)).text());
    assert.equal(after('#invoice-status').text(), 'VOIDED');

    // The signed webhook reached the gateway (it answers only correctly signed ones); its job expires the Xendit invoice.
    await waitFor('the Xendit checkout to be expired', async () => ((await payFormOf()).length === 0 ? true : undefined));
    const expired = await (await get(checkoutUrl)).text();
    assert.match(cheerio.load(expired)('body').text(), /EXPIRED/, 'the checkout says EXPIRED');
    const late = await fetch(new URL(payAction, checkoutUrl), { method: 'POST', redirect: 'manual' });
    assert.equal(late.status, 409, 'the old Pay button is refused');
    assert.match(await late.text(), /expired and can no longer be paid/);
    // Clicking the Xero link again: the invoice cannot be paid online (voided), and no new checkout is made.
    const again = await get(payLink);
    assert.equal(again.status, 409);
    assert.match(
      cheerio
        .load(await again.text())('h1')
        .text(),
      /tidak dapat dibayar secara online|cannot be paid online/,
    );

    // The admin lists it with the reason.
    const admin = cheerio.load(await (await fetch(new URL('/admin', base), { headers: { cookie: operatorCookie! } })).text());
    const closed = admin('#closed-checkouts tr').filter((_, tr) => admin(tr).text().includes('INV-0006'));
    assert.equal(closed.length, 1, 'listed under the payment pages closed because the Xero invoice changed');
    assert.match(closed.find('.reason').text(), /void/i);
  });

  it("shows every entry of the demo merchant's clearing account matched in the report (the Xero-started and the dashboard-started payment, the refund, the withdrawal), with Xendit's balance equal to the clearing account's per currency", async () => {
    assert.ok(operatorCookie, 'the operator made by the setup link above');
    const page = async (url: string) => {
      const res = await fetch(new URL(url, base), { headers: { cookie: operatorCookie! }, redirect: 'manual' });
      assert.equal(res.status, 200, url);
      return cheerio.load(await res.text());
    };
    const form = await page('/admin/report');
    const merchant = form('#f-merchant option')
      .filter((_, o) => Boolean(form(o).attr('value')))
      .first()
      .attr('value')!;
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const $ = await page(`/admin/report?${new URLSearchParams({ merchant, from: day(-1), to: day(1) })}`);
    const statuses = $('#report-rows tr[data-status]')
      .map((_, tr) => $(tr).attr('data-status'))
      .get();
    assert.ok(statuses.length >= 2, `both payments are in the report: ${statuses.join(', ')}`);
    // The part refund and the withdrawal made earlier at the simulated Xendit dashboard are rows of their own, compared with Xendit's.
    assert.deepEqual([...new Set(statuses)].sort(), ['matched', 'refunded', 'transferred']);
    // Every entry matches and both currencies' balances agree: IDR's from Xero's Bank Summary, PHP's
    // (Xero reports in the base currency only) added up from the entries Xero lists on its account.
    assert.equal($('#verdict').attr('data-verdict'), 'reconciled', $('#verdict').text());
    const idr = $('#report-totals tr[data-currency="IDR"] td')
      .map((_, td) => $(td).text())
      .get();
    const [xenditNet, xeroNet, difference] = idr;
    assert.equal(xeroNet, xenditNet, 'what Xendit settles = what the clearing account holds');
    assert.equal(difference.replace(/\s/g, ' '), 'IDR 0');

    // "Reconciled" means the balances agree: per currency, Xendit's balance next to the clearing account's.
    const simXero = cheerio.load(await (await get('/_sim/xero/')).text());
    const clearingCode = { IDR: '090', PHP: '092' } as const;
    const decimals = { IDR: 0, PHP: 2 } as const;
    /** An amount as shown ("IDR 318,400", "PHP 0.00", "318400.00"), in units of its last digit. */
    const digits = (text: string) => Number(text.replace(/[^\d]/g, ''));
    for (const [where, admin, table] of [
      ['the dashboard', await page(`/admin?${new URLSearchParams({ merchant })}`), '#balances'],
      ['the report', $, '#report-balances'],
    ] as const) {
      const rows = admin(`${table} tr[data-currency]`);
      assert.deepEqual(
        rows
          .map((_, tr) => admin(tr).attr('data-currency'))
          .get()
          .sort(),
        ['IDR', 'PHP'],
        `${where} shows both currencies`,
      );
      for (const currency of ['IDR', 'PHP'] as const) {
        const row = admin(`${table} tr[data-currency=${currency}]`);
        const xendit = row.find('.xendit').clone().children().remove().end().text().trim();
        assert.equal(row.find('.unsettled').length, 0, `${where}: everything paid has settled at Xendit (${currency})`);
        const inXero = simXero('[data-balance]')
          .filter((_, td) => simXero(td).attr('data-balance') === clearingCode[currency])
          .first()
          .text();
        // The admin shows the currency's minor unit (none for IDR); the simulated Xero always two decimals.
        const xenditMinor = digits(xendit);
        const xeroMinor = digits(inXero) / 10 ** (2 - decimals[currency]);
        assert.equal(xenditMinor, xeroMinor, `${where}: Xendit's ${currency} balance (${xendit}) = the clearing account's in Xero (${inXero})`);
        if (currency === 'IDR') assert.ok(xenditMinor > 0, 'money is left after the refund and the withdrawal');
        if (currency === 'PHP' && where === 'the dashboard') {
          // Xero's Bank Summary is in the base currency only: the dashboard points to the report.
          assert.match(row.find('.xero').text(), /IDR only.*reconciliation report/, where);
          continue;
        }
        // The report adds PHP's figure up from the account's entries in Xero, and says so.
        const xeroShown = row.find('.xero').clone().children().remove().end().text().trim();
        assert.equal(xeroShown, xendit, `${where}: the clearing account's ${currency} balance in Xero, next to Xendit's`);
        assert.equal(row.find('.xero .summed').length, currency === 'PHP' ? 1 : 0, where);
        assert.equal(row.find('.state').text().trim(), 'Balanced', `${where} (${currency})`);
      }
    }
  });

  it('shows the other demo cases: part-paid, paid, voided', async () => {
    // The links on the home page, filled in as Xero fills them (currency and amount due).
    const $ = cheerio.load(await (await get('/')).text());
    const linkOf = (invoiceNumber: string) => $(`tr:contains("${invoiceNumber}") a[href*="/pay?"]`).attr('href')!;
    const paid = await get(linkOf('INV-0004'));
    assert.equal(paid.status, 200);
    assert.match(await paid.text(), /sudah lunas|already paid/);
    assert.equal((await get(linkOf('INV-0005'))).status, 409);
    const partPaid = await get(linkOf('INV-0003'));
    assert.equal(partPaid.status, 303);
    // A hand-made link without the amount is not one Xero made: the "link does not match" page, nothing created.
    assert.equal((await get('/pay?invoiceNo=INV-0003&shortCode=!DEMO1')).status, 404);
  });

  it('clicks through in a real browser (Chromium) with no CSP violation', async function () {
    skipWithoutChromium(this);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'id-ID' });
      const problems = await watchProblems(page);
      await page.goto(base + '/');
      await page.click('tr:has-text("INV-0002") a:has-text("Pay with Xendit")');
      await page.waitForURL(/\/_sim\/xendit\/checkout\//);
      assert.match((await page.textContent('body')) ?? '', /PHP\s*2[.,]?450[.,]50/);
      await page.click('button:has-text("Pay")');
      await page.waitForURL(/\/pay\/return/);
      // It refreshes itself until the worker has confirmed the payment with Xendit.
      await page.waitForFunction(() => document.querySelector('h1')?.textContent?.trim() === 'Terima kasih atas pembayaran Anda', undefined, {
        timeout: 20_000,
      });
      await waitFor('INV-0002 to be PAID in the simulated Xero', async () => {
        await page.goto(base + '/');
        const status = await page.textContent('tr:has-text("INV-0002") .badge');
        return status?.trim() === 'PAID' ? true : undefined;
      });
      assert.deepEqual(problems, [], 'no console errors or CSP violations');
    } finally {
      await browser.close();
    }
  });

  it('runs the operator CLI beside the running gateway, on the same embedded database, and leaves it running', async () => {
    const cli = spawnTs('app/bin/cli/index.ts', ['merchants', 'list'], { DATA_DIR: dataDir });
    assert.equal(await cli.exited, 0, cli.output());
    assert.match(cli.output(), /Toko Kopi Nusantara|DEMO/);
    await fetch(`${base}/readyz`).then((r) => assert.equal(r.status, 200));
  });
});
