import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { schedule } from '../../app/jobs/schedules.js';

/**
 * /pay answers every link that does not match with one 404 page, so that a ShortCode (public) tells
 * nobody which invoice numbers exist. The rate limits must not tell it either: once a stranger has
 * used up the limit of invented numbers, a real number with a link that is not its own must get
 * the same answer as an invented one, while the invoice's own link still gets its checkout.
 */
describeEachDatabase('pay rate limits do not tell which invoice numbers exist', ({ db }) => {
  let h: Harness;
  afterEach(() => h.close());

  let ip = 0;
  async function click(path: string): Promise<number> {
    ip++;
    const res = await fetch(h.baseUrl + path, { redirect: 'manual', headers: { 'X-Forwarded-For': `10.9.${ip >> 8}.${ip % 256}`, 'Accept-Language': 'en' } });
    await res.arrayBuffer();
    return res.status;
  }
  const pay = (n: string, hint: Record<string, string>) => `/pay?${new URLSearchParams({ invoiceNo: n, ...hint, shortCode: h.merchant.shortCode })}`;

  it('a real number (clicked by its customer, or read from Xero) and an invented one answer alike under the same load; the real links still pay', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', PAY_UNKNOWN_PER_WINDOW: '4', PAY_RATE_LIMIT_PER_SHORTCODE: '40' } });
    const clicked = h.addInvoice({}); // its customer opened it already: a checkout exists
    const listed = h.addInvoice({}); // never clicked, but among the open invoices read from Xero
    assert.equal(await click(h.payUrl(clicked.invoiceNumber)), 303);
    await schedule(h, 'sync-open-invoices', 60);
    await h.worker.drain();
    h.clock.advance(61_000); // a fresh rate-limit window

    // What a stranger can put in a link: no hints, or guessed ones.
    const guesses: Record<string, string>[] = [{}, { currency: 'IDR' }, { currency: 'IDR', amount: '100000' }, { currency: 'USD', amount: '150000' }];
    const probe = async (n: string) => {
      const statuses: number[] = [];
      for (const g of guesses) statuses.push(await click(pay(n, g)));
      return statuses;
    };
    // The stranger fills the counter of other links with invented numbers.
    for (let i = 0; i < 4; i++) assert.equal(await click(pay(`FLOOD-${i}`, {})), 404);
    const real = await probe(clicked.invoiceNumber);
    const fromXero = await probe(listed.invoiceNumber);
    const invented = await probe('NO-SUCH-77');
    assert.deepEqual(real, invented, 'a number with a checkout answers as an invented one');
    assert.deepEqual(fromXero, invented, 'a number read from Xero answers as an invented one');
    assert.deepEqual(invented, [429, 429, 429, 429]);

    // The customers' own links are counted apart: still their checkouts.
    assert.equal(await click(h.payUrl(clicked.invoiceNumber)), 303);
    assert.equal(await click(h.payUrl(listed.invoiceNumber)), 303);

    // Next window: both answered by the one 404 page.
    h.clock.advance(61_000);
    assert.deepEqual([await click(pay(clicked.invoiceNumber, {})), await click(pay('NO-SUCH-78', {}))], [404, 404]);
  });

  it("a real number's link with another amount is an invented number's link: it cannot spend the counter of the invoice's own link", async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', PAY_UNKNOWN_PER_WINDOW: '100', PAY_RATE_LIMIT_PER_SHORTCODE: '3' } });
    const inv = h.addInvoice({});
    assert.equal(await click(h.payUrl(inv.invoiceNumber)), 303); // first click: an unknown link until matched
    for (let i = 0; i < 5; i++) assert.equal(await click(h.payUrl(inv.invoiceNumber, { amount: String(1000 + i) })), 404);
    for (let i = 0; i < 3; i++) assert.equal(await click(h.payUrl(inv.invoiceNumber)), 303, 'its own link counts against PAY_RATE_LIMIT_PER_SHORTCODE alone');
    assert.equal(await click(h.payUrl(inv.invoiceNumber)), 429, 'and is limited by it');
  });
});
