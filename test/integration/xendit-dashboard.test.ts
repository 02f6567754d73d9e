import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { getSims, resetSims } from '../helpers/sims.js';

describe('simulated Xendit dashboard: create invoice', () => {
  let sims: Awaited<ReturnType<typeof getSims>>;
  let userId: string;
  beforeEach(async () => {
    sims = await getSims();
    resetSims();
    userId = sims.xendit.registerAccount({ secretKey: 'xnd_development_dash', callbackToken: 'tok', businessName: 'Toko Dash' }).userId;
  });

  it('shows a form with the accounts and currencies', async () => {
    const $ = cheerio.load((await request(sims.xenditUrl).get('/dashboard').expect(200)).text);
    assert.deepEqual(
      $('select[name=account] option')
        .map((_, o) => $(o).text())
        .get(),
      ['Toko Dash'],
    );
    assert.ok(
      $('select[name=currency] option')
        .map((_, o) => $(o).text())
        .get()
        .includes('IDR'),
    );
    assert.deepEqual(
      $('form input')
        .map((_, i) => $(i).attr('name'))
        .get(),
      ['amount', 'description', 'customer_name', 'payer_email'],
    );
  });

  it('creates a PENDING invoice with an external id of its own and opens its checkout', async () => {
    const res = await request(sims.xenditUrl)
      .post('/dashboard/invoices')
      .type('form')
      .send({ account: userId, currency: 'PHP', amount: '1250.50', description: 'Catering', customer_name: 'Sari', payer_email: 'sari@example.ph' })
      .expect(303);
    const [x] = sims.xendit.listInvoices();
    assert.equal(res.headers.location, `/checkout/${x.id}`);
    assert.match(x.external_id, /^dashboard-[0-9a-f]{12}$/);
    assert.deepEqual([x.status, x.currency, x.amount, x.description, x.payer_email], ['PENDING', 'PHP', 1250.5, 'Catering', 'sari@example.ph']);
    const inv = await sims.xenditClient.getInvoice('xnd_development_dash', x.id);
    assert.deepEqual(inv?.customer, { name: 'Sari', email: 'sari@example.ph' });
  });

  it('answers bad input with 400 and the reasons, creating nothing', async () => {
    const res = await request(sims.xenditUrl)
      .post('/dashboard/invoices')
      .type('form')
      .send({ account: 'nobody', currency: 'IDR', amount: '10.5', payer_email: 'not-an-email' })
      .expect(400);
    const $ = cheerio.load(res.text);
    assert.deepEqual(
      $('.problems li')
        .map((_, li) => $(li).text())
        .get(),
      ['amount is not a valid IDR amount', 'choose an account', 'payer e-mail is not an e-mail address'],
    );
    assert.equal(sims.xendit.listInvoices().length, 0);
  });
});
