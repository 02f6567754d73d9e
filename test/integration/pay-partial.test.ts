import { randomUUID } from 'node:crypto';
import { CREATION_WAIT_MS } from '../../app/store/checkouts.js';
import { externalIdFor } from '../../app/pay/service.js';
import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { readPart, minimumPart } from '../../app/pay/part.js';
import { createApp } from '../../app/server.js';
import { loadConfig } from '../../config/index.js';

/** Paying part of an invoice (deposits): off by default; on, the customer chooses how much. */
describeEachDatabase('GET /pay: paying part of an invoice', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const allowPart = (percent: number | null) =>
    h.stores.merchants.setSettings(h.merchant.id, { ...h.merchant, salesTaxType: null, partialMinPercent: percent }, h.clock());
  const xenditInvoices = () => h.sims.xendit.listInvoices();
  /** After this long a click for another part may end the one in progress (PAY_PART_HOLD_MINUTES; pay-part-hold.test.ts). */
  const passHold = () => h.clock.advance(h.deps.config.payRateLimit.partHoldMinutes * 60_000);
  /** The form of the "how much" page, submitted as a browser does (its fields, `part` as typed), to `app`. */
  function submit(app: ReturnType<typeof createApp>, html: string, part: string) {
    const $ = cheerio.load(html);
    const fields = new URLSearchParams(
      $('#amount-form input')
        .map((_, i) => [[$(i).attr('name')!, $(i).attr('name') === 'part' ? part : ($(i).attr('value') ?? '')]])
        .get() as [string, string][],
    );
    return request(app).get(`${$('#amount-form').attr('action')}?${fields}`);
  }
  const choose = (html: string, part: string, status = 303) => submit(h.app, html, part).expect(status);
  /**
   * The app, its checkout claims held until `clicks` clicks have reached theirs: each has read the
   * invoice's checkouts (none live) before any claims. A claim that won then opens its checkout
   * only once a click has answered (or every click is opening one): the other click meets it still
   * being created. `reached` resolves once n clicks have arrived at their claim.
   */
  function claimsMeeting(clicks: number) {
    let arrived = 0;
    let opening = 0;
    let meet!: () => void;
    let answered!: () => void;
    const met = new Promise<void>((resolve) => (meet = resolve));
    const anAnswer = new Promise<void>((resolve) => (answered = resolve));
    const waiters: (() => void)[] = [];
    const checkouts = {
      ...h.stores.checkouts,
      // The click claims with its key (claimWithKey): held there.
      claimWithKey: async (...args: Parameters<Harness['stores']['checkouts']['claimWithKey']>) => {
        if (++arrived === clicks) meet();
        waiters.splice(0).forEach((w) => w());
        await met;
        return h.stores.checkouts.claimWithKey(...args);
      },
      open: async (...args: Parameters<Harness['stores']['checkouts']['open']>) => {
        if (++opening === clicks) answered();
        await anAnswer;
        return h.stores.checkouts.open(...args);
      },
    };
    const reached = (n: number): Promise<void> =>
      arrived >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)).then(() => reached(n));
    const app = createApp({ ...h.deps, stores: { ...h.stores, checkouts } });
    const click = (req: request.Test) => req.then((res) => (answered(), res));
    return { app, reached, click };
  }
  const statuses = () => xenditInvoices().map((x: { amount: number; status: string }) => `${x.amount} ${x.status}`);
  /**
   * Clicks raced for one bill: one Xendit invoice of it payable, one click sent to it, the other
   * asked to try again (503, Retry-After) rather than sent to a second payable page.
   */
  function assertOnePayable(answers: request.Response[]) {
    const payable = xenditInvoices().filter((x: { status: string }) => x.status === 'PENDING');
    assert.equal(payable.length, 1, `never two payable invoices for one bill: ${statuses().join(', ')}`);
    assert.deepEqual(answers.map((a) => a.status).sort(), [303, 503]);
    assert.equal(answers.find((a) => a.status === 303)!.headers.location, payable[0].invoice_url);
    assert.ok(Number(answers.find((a) => a.status === 503)!.headers['retry-after']) > 0);
  }

  it('off by default: the click goes straight to the full amount', async () => {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    assert.equal(xenditInvoices()[0].amount, 150000);
  });

  it('on: asks how much (full amount filled in), records the part in Xero with the rest still due, and the next click offers the rest', async () => {
    await allowPart(25);
    const inv = h.addInvoice({ lineItems: [{ description: 'Katering', quantity: '1', unitAmount: '400000' }] });
    const ask = await request(h.app)
      .get(`${h.payUrl(inv.invoiceNumber)}&lang=en`)
      .expect(200);
    assert.equal(xenditInvoices().length, 0, 'no checkout before the customer chose');
    const $ = cheerio.load(ask.text);
    assert.equal($('h1').text(), 'How much would you like to pay?');
    assert.match($('#test-mode').text(), /^Test mode/, 'the harness pays with a test key');
    assert.equal($('#part').val(), '400000');
    assert.match($('main p').first().text(), /IDR\s400,000 is due.*at least IDR\s100,000/);

    const chosen = await choose(ask.text, '150.000');
    const [x] = xenditInvoices();
    assert.equal(chosen.headers.location, x.invoice_url);
    assert.equal(x.amount, 150000);
    assert.equal(x.items?.length ?? 0, 0, 'no line items that would add up to another total');
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    const after = h.sims.xero.listInvoices(h.tenantId).find((i) => i.invoiceId === inv.invoiceId)!;
    assert.equal(after.status, 'AUTHORISED');
    assert.equal(after.amountDue, '250000.00');
    assert.deepEqual(
      h.sims.xero.paymentsOf(inv.invoiceId).map((p) => p.amount),
      [15000000n],
    );

    // Xero fills the new [AMOUNTDUE] into the link: the page offers the rest.
    const next = await request(h.app)
      .get(`${h.payUrl(inv.invoiceNumber)}&lang=en`)
      .expect(200);
    assert.equal(cheerio.load(next.text)('#part').val(), '250000');
    await choose(next.text, '250000');
    const rest = xenditInvoices()[1];
    assert.equal(rest.amount, 250000);
    await h.sims.xendit.pay(rest.id);
    await h.worker.drain();
    assert.equal(h.sims.xero.listInvoices(h.tenantId).find((i) => i.invoiceId === inv.invoiceId)!.status, 'PAID');
  });

  it('"try again" after a part payment failed or its page expired leads back to the amount page, not to "link does not match"', async () => {
    await allowPart(25);
    const inv = h.addInvoice({ lineItems: [{ description: 'Katering', quantity: '1', unitAmount: '100000' }] });
    const ask = await request(h.app)
      .get(`${h.payUrl(inv.invoiceNumber)}&lang=en`)
      .expect(200);
    await choose(ask.text, '40000');
    const [x] = xenditInvoices();
    assert.equal(x.amount, 40000);
    const back = (url: string) => {
      const u = new URL(url);
      return `${u.pathname}${u.search}&lang=en`;
    };
    const tryAgain = (html: string) => cheerio.load(html)('a.button').attr('href')!;

    // The customer gave up at Xendit: its failure redirect, the checkout still open.
    const failed = await request(h.app).get(back(x.failure_redirect_url!)).expect(200);
    assert.equal(cheerio.load(failed.text)('h1').text(), 'The payment was not completed');
    const again = await request(h.app).get(tryAgain(failed.text)).expect(200);
    assert.equal(cheerio.load(again.text)('h1').text(), 'How much would you like to pay?');
    assert.equal(cheerio.load(again.text)('#part').val(), '100000', 'the amount due, as on the first visit');
    // The page's form goes on as the first one did: the same part reuses the open checkout.
    const reused = await choose(again.text, '40000');
    assert.equal(reused.headers.location, x.invoice_url);
    assert.equal(xenditInvoices().length, 1);

    // Its page expired at Xendit: "try again" asks again, and a part chosen makes a new checkout.
    await h.sims.xendit.expire(x.id);
    await h.worker.drain();
    const closed = await request(h.app).get(back(x.success_redirect_url!)).expect(200);
    assert.equal(cheerio.load(closed.text)('h1').text(), 'This payment page has closed');
    const later = await request(h.app).get(tryAgain(closed.text)).expect(200);
    assert.equal(cheerio.load(later.text)('h1').text(), 'How much would you like to pay?');
    const fresh = await choose(later.text, '50000');
    assert.equal(xenditInvoices().length, 2);
    assert.equal(fresh.headers.location, xenditInvoices()[1].invoice_url);
    assert.equal(xenditInvoices()[1].amount, 50000);
  });

  it('"try again" names a checkout of this invoice only: another invoice\'s checkout, or none, is still "link does not match" (404)', async () => {
    await allowPart(25);
    const inv = h.addInvoice({ lineItems: [{ description: 'Katering', quantity: '1', unitAmount: '100000' }] });
    const other = h.addInvoice({ lineItems: [{ description: 'Sewa', quantity: '1', unitAmount: '300000' }] });
    await choose((await request(h.app).get(h.payUrl(other.invoiceNumber)).expect(200)).text, '100000');
    const [x] = xenditInvoices();
    const ref = new URL(x.failure_redirect_url!).searchParams.get('ref')!;
    const link = (retry: string) => `/pay?${new URLSearchParams({ invoiceNo: inv.invoiceNumber, shortCode: h.merchant.shortCode, currency: 'IDR', retry })}`;
    await request(h.app).get(link(ref)).expect(404);
    await request(h.app).get(link('5f0c7a5e-8d3b-4a51-9c52-0b7e2f6d1a10')).expect(404);
    await request(h.app).get(link('not-a-checkout')).expect(400);
    assert.equal(xenditInvoices().length, 1);
  });

  it('refuses less than the minimum, more than is due, and garbage with the page again (422), no checkout', async () => {
    await allowPart(50);
    const inv = h.addInvoice({ currency: 'PHP', lineItems: [{ description: 'Tour', quantity: '1', unitAmount: '1250.50' }] });
    const ask = await request(h.app)
      .get(`${h.payUrl(inv.invoiceNumber)}&lang=en`)
      .expect(200);
    for (const [typed, said] of [
      ['100', /least you can pay now is ₱625\.25/],
      ['1300', /more than the ₱1,250\.50 due/],
      ['12,5,0', /enter an amount/],
      ['-5', /enter an amount/],
      ['1.2345', /enter an amount/],
      ['', /enter an amount/],
    ] as const) {
      const res = await choose(ask.text, typed, 422);
      const $ = cheerio.load(res.text);
      assert.match($('#part-error').text(), said, typed);
      assert.equal($('#part').val(), typed, 'what was typed is kept');
    }
    assert.equal(xenditInvoices().length, 0);
    const ok = await choose(ask.text, '625,25');
    assert.equal(xenditInvoices()[0].amount, 625.25, 'Xendit takes pesos with centavos');
    assert.ok(ok.headers.location);
  });

  it('two customers choosing the same part at once get one Xendit invoice; a different part replaces it once it is no longer held', async () => {
    await allowPart(10);
    const inv = h.addInvoice({});
    const ask = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(200);
    const [a, b] = await Promise.all([choose(ask.text, '50000'), choose(ask.text, '50000')]);
    assert.equal(a.headers.location, b.headers.location);
    assert.equal(xenditInvoices().length, 1);
    await choose(ask.text, '60000', 409);
    assert.equal(xenditInvoices().length, 1, 'a part payment just started is kept');
    passHold();
    await choose(ask.text, '60000');
    const all = xenditInvoices();
    assert.equal(all.length, 2);
    assert.equal(all[0].status, 'EXPIRED', 'the first part is no longer payable: never two payable invoices for one bill');
  });

  it('two different parts chosen at the same moment (two tabs) leave one payable Xendit invoice; the other click is told to try again', async () => {
    await allowPart(10);
    const inv = h.addInvoice({});
    const ask = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(200);
    const { app, click } = claimsMeeting(2);
    const answers = await Promise.all([click(submit(app, ask.text, '50000')), click(submit(app, ask.text, '60000'))]);
    assertOnePayable(answers);
    // Chosen again once the one made is no longer held, the other part replaces it, as any later click of another amount does.
    passHold();
    const [loser] = ['50000', '60000'].filter(
      (part) => !xenditInvoices().some((x: { amount: number; status: string }) => x.status === 'PENDING' && x.amount === Number(part)),
    );
    const again = await choose(ask.text, loser);
    const payable = xenditInvoices().filter((x: { status: string }) => x.status === 'PENDING');
    assert.deepEqual(
      payable.map((x: { amount: number }) => x.amount),
      [Number(loser)],
    );
    assert.equal(again.headers.location, payable[0].invoice_url);
  });

  it('the amount due changed in Xero between two clicks at once: one payable Xendit invoice, of one of the two amounts', async () => {
    const inv = h.addInvoice({}); // 2 × 75 000 IDR
    const { app, reached, click } = claimsMeeting(2);
    const before = click(request(app).get(h.payUrl(inv.invoiceNumber)));
    await reached(1);
    await h.sims.xero.test.invoices.editLines(inv.invoiceId, [{ description: 'Kopi', quantity: '1', unitAmount: '75000' }]);
    const after = click(request(app).get(h.payUrl(inv.invoiceNumber)));
    const answers = await Promise.all([before, after]);
    assert.deepEqual(
      xenditInvoices()
        .map((x: { amount: number }) => x.amount)
        .filter((a: number) => a !== 150000 && a !== 75000),
      [],
    );
    assertOnePayable(answers);
  });

  it('two parts left payable by clicks made before claims took turns: the next click ends the other, whatever it chose', async () => {
    await allowPart(10);
    const inv = h.addInvoice({});
    const now = h.clock();
    for (const amount of [50000, 60000]) {
      const id = randomUUID();
      const externalId = externalIdFor(inv.invoiceNumber, id);
      const x = await h.sims.xenditClient.createInvoice(h.merchant.xenditSecretKey, {
        externalId,
        currency: 'IDR',
        amount,
        description: inv.invoiceNumber,
        invoiceDurationSeconds: 86400,
        successRedirectUrl: `${h.baseUrl}/pay/return`,
        failureRedirectUrl: `${h.baseUrl}/pay/return`,
      });
      // As such a click left it (the claim today refuses a second amount): written directly.
      await db()
        .insertInto('checkouts')
        .values({
          id,
          merchant_id: h.merchant.id,
          xero_invoice_id: inv.invoiceId,
          invoice_number: inv.invoiceNumber,
          currency: 'IDR',
          amount,
          external_id: externalId,
          xendit_invoice_id: x.id,
          invoice_url: x.invoiceUrl,
          expires_at: new Date(now.getTime() + 86400_000),
          status: 'open',
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    const ask = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(200);
    const chosen = await choose(ask.text, '60000');
    assert.deepEqual(statuses(), ['50000 EXPIRED', '60000 PENDING']);
    assert.equal(chosen.headers.location, xenditInvoices()[1].invoice_url);
    passHold();
    await choose(ask.text, '70000');
    assert.deepEqual(statuses(), ['50000 EXPIRED', '60000 EXPIRED', '70000 PENDING']);
  });

  it('a part whose create got no answer is not left payable beside another part chosen at once: "try again" until it can be ended', async () => {
    await allowPart(10);
    const inv = h.addInvoice({});
    const ask = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(200);
    h.sims.xendit.faults.dropResponseAfterSave(1, { method: 'POST', path: '/v2/invoices' });
    await choose(ask.text, '40000', 503);
    // At once another part: the first one's invoice may be payable at Xendit, and could not be ended yet.
    await choose(ask.text, '50000', 503);
    assert.deepEqual(
      xenditInvoices().map((x: { amount: number; status: string }) => `${x.amount} ${x.status}`),
      ['40000 PENDING'],
    );
    h.clock.advance(CREATION_WAIT_MS + 1);
    await choose(ask.text, '50000');
    assert.deepEqual(
      xenditInvoices().map((x: { amount: number; status: string }) => `${x.amount} ${x.status}`),
      ['40000 EXPIRED', '50000 PENDING'],
      'never two payable invoices for one bill',
    );
  });

  it("the page's form may end at the Xendit checkout: form-action lists each checkout host (a browser holds the 303 to it)", async () => {
    await allowPart(25);
    const inv = h.addInvoice({});
    const formAction = (res: request.Response) => /form-action ([^;]*)/.exec(String(res.headers['content-security-policy']))?.[1]?.split(' ');
    const env = { PUBLIC_URL: 'https://pay.example.com', DEMO: 'false', LOG_LEVEL: 'silent' };
    const production = createApp({ ...h.deps, config: loadConfig({ ...env, XENDIT_CHECKOUT_HOSTS: 'checkout.xendit.co, checkout-staging.xendit.co' }) });
    const ask = await request(production).get(h.payUrl(inv.invoiceNumber)).expect(200);
    assert.equal(cheerio.load(ask.text)('#amount-form').length, 1);
    assert.deepEqual(formAction(ask), ["'self'", 'https://checkout.xendit.co', 'https://checkout-staging.xendit.co']);
    // The default hosts are Xendit's checkout too, a test key's included.
    const byDefault = await request(createApp({ ...h.deps, config: loadConfig(env) }))
      .get(h.payUrl(inv.invoiceNumber))
      .expect(200);
    assert.deepEqual(formAction(byDefault), ["'self'", 'https://checkout.xendit.co', 'https://checkout-staging.xendit.co']);
  });

  it('reads amounts as customers type them', () => {
    assert.equal(readPart('400000', 'IDR'), 400000);
    assert.equal(readPart('400.000', 'IDR'), 400000);
    assert.equal(readPart('1.250.000', 'IDR'), 1250000);
    assert.equal(readPart('1 250 000', 'IDR'), 1250000);
    assert.equal(readPart('400000,50', 'IDR'), undefined, 'rupiah has no decimals');
    assert.equal(readPart('1,250.50', 'PHP'), 125050);
    assert.equal(readPart('1.250,50', 'PHP'), 125050);
    assert.equal(readPart('1250.5', 'THB'), 125050);
    assert.equal(readPart('1,25.50', 'PHP'), undefined);
    assert.equal(readPart('1.250.50', 'PHP'), undefined);
    assert.equal(readPart('1e5', 'PHP'), undefined);
    assert.equal(minimumPart(125050, 50), 62525);
    assert.equal(minimumPart(101, 50), 51, 'rounded up');
  });
});
