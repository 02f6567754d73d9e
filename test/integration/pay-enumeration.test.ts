import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { paths } from '../../app/paths.js';
import { ONE_ADDRESS_MANY_CUSTOMERS } from '../helpers/pay-limits.js';

/**
 * Someone with one pay link (so a ShortCode) walks invoice numbers. The link's currency and amount
 * must match the invoice: a made-up amount learns nothing about the invoice (not even that its
 * number exists) and creates nothing.
 */
describeEachDatabase('/pay: walking invoice numbers', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db(), { env: { ...ONE_ADDRESS_MANY_CUSTOMERS } });
  });
  afterEach(() => h.close());

  const linkTo = (invoiceNumber: string, hint: Record<string, string>, shortCode = h.merchant.shortCode) =>
    `/pay?${new URLSearchParams({ invoiceNo: invoiceNumber, shortCode, ...hint })}`;
  const guess = (invoiceNumber: string) => linkTo(invoiceNumber, { currency: 'IDR', amount: '123456.00' });
  /**
   * The whole page, with what the request itself carried taken out: the language links repeat the
   * URL asked for. Anything left that differs is something the gateway told.
   */
  const page = (res: { text: string }, asked: string[]) => {
    let html = res.text.replace(/href="[^"]*"/g, 'href=""');
    for (const s of asked) html = html.split(s).join('ASKED');
    return html;
  };
  const get = (url: string) => request(h.app).get(url).set('Accept-Language', 'en');

  it('an unknown number, an unknown ShortCode and every kind of invoice look the same to a link that does not match', async () => {
    const contact = { name: 'Budi Santoso', email: 'budi@example.co.id' };
    const open = h.addInvoice({ contact });
    const paid = h.addInvoice({ status: 'PAID', contact });
    const voided = h.addInvoice({ status: 'VOIDED', contact });
    const draft = h.addInvoice({ status: 'DRAFT', contact });
    const partPaid = h.addInvoice({ amountPaid: '50000.00', contact });
    h.sims.xero.test.addCurrency(h.tenantId, 'AUD'); // Xero takes only a currency the organisation added
    const foreign = h.addInvoice({ currency: 'AUD', contact });
    const bill = h.addInvoice({ type: 'ACCPAY', contact });
    // Real invoices with hints that are not theirs, a number Xero does not have, a ShortCode no merchant has.
    const asks: { url: string; asked: string[] }[] = [
      ...[open, paid, voided, draft, partPaid, foreign, bill].map((i) => ({ url: guess(i.invoiceNumber), asked: [i.invoiceNumber] })),
      { url: guess('NO-SUCH-1'), asked: ['NO-SUCH-1'] },
      { url: linkTo(open.invoiceNumber, { currency: 'IDR', amount: '150000.00' }, '!nobody'), asked: [open.invoiceNumber] },
      // The right amount in the wrong currency; the right currency with the amount left out; no hints at all.
      { url: linkTo(open.invoiceNumber, { currency: 'PHP', amount: '150000.00' }), asked: [open.invoiceNumber] },
      { url: linkTo(open.invoiceNumber, { currency: 'IDR' }), asked: [open.invoiceNumber] },
      { url: linkTo(open.invoiceNumber, {}), asked: [open.invoiceNumber] },
      // Zero is what a paid or voided invoice has due (Xero: AmountDue 0), and what anyone would guess.
      { url: linkTo(paid.invoiceNumber, { currency: 'IDR', amount: '0.00' }), asked: [paid.invoiceNumber] },
      { url: linkTo(voided.invoiceNumber, { currency: 'IDR', amount: '0' }), asked: [voided.invoiceNumber] },
    ];
    const answers = [];
    for (const a of asks) answers.push(await get(a.url));
    const statuses = answers.map((r) => r.status);
    assert.deepEqual([...new Set(statuses)], [404], `one status: ${statuses}`);
    const pages = answers.map((r, i) => page(r, asks[i]!.asked));
    for (const [i, p] of pages.entries()) assert.equal(p, pages[0], `${asks[i]!.url} answers like the others`);
    const $ = cheerio.load(answers[0]!.text);
    assert.match($('h1').text(), /This payment link can't be opened/);
    assert.match($('main').text(), /latest e-mail or invoice from the business/);
    for (const p of pages) assert.doesNotMatch(p, /Budi|budi@example|150[.,]?000|100[.,]?000|Toko Test|PAID|VOIDED|DRAFT|AUD/);
    assert.equal(h.sims.xendit.listInvoices().length, 0, 'no Xendit invoice, so no customer e-mail sent to Xendit');
    assert.equal(await h.count('checkouts'), 0);
  });

  it('"try again" naming a checkout of another invoice or of another merchant answers like an unknown number', async () => {
    const mine = h.addInvoice({});
    const other = h.addInvoice({});
    await get(h.payUrl(other.invoiceNumber)).expect(303);
    const [x] = h.sims.xendit.listInvoices();
    const ref = new URL(x!.failure_redirect_url!).searchParams.get('ref')!;
    // The checkout exists, and its return page is the customer's own; it does not stand in for another invoice's hints.
    await get(`${paths.payReturn}?${new URLSearchParams({ ref, status: 'failed' })}`).expect(200);
    const asks = [
      { url: linkTo(mine.invoiceNumber, { currency: 'IDR', retry: ref }), asked: [mine.invoiceNumber] },
      { url: linkTo('NO-SUCH-2', { currency: 'IDR', retry: ref }), asked: ['NO-SUCH-2'] },
      // The checkout's own invoice under a ShortCode no merchant has (another merchant's link).
      { url: linkTo(other.invoiceNumber, { currency: 'IDR', retry: ref }, '!nobody'), asked: [other.invoiceNumber] },
      { url: linkTo(mine.invoiceNumber, { currency: 'IDR', retry: '5f0c7a5e-8d3b-4a51-9c52-0b7e2f6d1a10' }), asked: [mine.invoiceNumber] },
    ];
    const answers = [];
    for (const a of asks) answers.push(await get(a.url));
    assert.deepEqual([...new Set(answers.map((r) => r.status))], [404]);
    const pages = answers.map((r, i) => page(r, asks[i]!.asked));
    for (const [i, p] of pages.entries()) assert.equal(p, pages[0], asks[i]!.url);
    assert.equal(h.sims.xendit.listInvoices().length, 1);
  });

  it('clicked again, a wrong link costs what an unknown number costs (no Xero call: as fast), and the right link still pays at once', async () => {
    const reads = () => h.sims.xero.test.countRequests({ method: 'GET', pathPrefix: '/api.xro/2.0/Invoices' });
    const open = h.addInvoice({});
    const paid = h.addInvoice({ status: 'PAID' });
    // One with a checkout here ("known": counted apart from invented numbers).
    const known = h.addInvoice({});
    await get(h.payUrl(known.invoiceNumber)).expect(303);
    const costs: Record<string, number[]> = {};
    for (const n of ['NO-SUCH-3', open.invoiceNumber, paid.invoiceNumber, known.invoiceNumber]) {
      for (let i = 0; i < 2; i++) {
        const before = reads();
        await get(guess(n)).expect(404);
        (costs[n] ??= []).push(reads() - before);
      }
    }
    assert.deepEqual(Object.values(costs), Array(4).fill([1, 0]), `Xero reads per click: ${JSON.stringify(costs)}`);
    // What is remembered is the link as asked: the invoice's own link is not answered from it.
    await get(h.payUrl(open.invoiceNumber)).expect(303);
    await get(h.payUrl(known.invoiceNumber)).expect(303);
  });

  it('the link Xero made (its currency and amount due) still pays, and an old link of a paid invoice says paid', async () => {
    const inv = h.addInvoice({});
    const link = h.payUrl(inv.invoiceNumber);
    await request(h.app).get(link).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    const again = await get(link).expect(200);
    assert.match(again.text, /already paid/);
  });

  it('an out-of-date link of a real invoice tells the customer what to do', async () => {
    const inv = h.addInvoice({});
    const res = await get(linkTo(inv.invoiceNumber, { currency: 'IDR', amount: '120000.00' })).expect(404);
    assert.match(cheerio.load(res.text)('main').text(), /may be out of date.*"Pay with Xendit" link in the latest e-mail or invoice from the business/s);
  });
});
