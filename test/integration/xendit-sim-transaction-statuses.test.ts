/**
 * GET /transactions takes only the `statuses` Xendit lists (docs.xendit.co/apidocs/list-transactions:
 * PENDING, SUCCESS, FAILED, VOIDED, REVERSED); any other is refused with 400, as a `types` it does not list.
 */
import { strict as assert } from 'node:assert';
import { getSims, resetSims, type Sims } from '../helpers/sims.js';

describe('Xendit simulator: transaction statuses as Xendit lists them', () => {
  let s: Sims;
  before(async () => {
    s = await getSims();
  });
  afterEach(() => resetSims());

  it('answers each listed status and refuses any other (400 API_VALIDATION_ERROR)', async () => {
    const key = 'xnd_development_Statuses01';
    s.xendit.registerAccount({ secretKey: key, callbackToken: 't', businessName: 'Toko Status' });
    const get = (q: string) =>
      fetch(`${s.xenditUrl}/transactions?currency=IDR&${q}`, { headers: { Authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` } }).then(
        async (r) => ({ status: r.status, body: (await r.json()) as { error_code?: string } }),
      );
    for (const status of ['PENDING', 'SUCCESS', 'FAILED', 'VOIDED', 'REVERSED']) assert.equal((await get(`statuses=${status}`)).status, 200, status);
    for (const status of ['COMPLETED', 'success', 'SETTLED']) {
      const refused = await get(`statuses=SUCCESS&statuses=${status}`);
      assert.deepEqual([refused.status, refused.body.error_code], [400, 'API_VALIDATION_ERROR'], status);
    }
  });
});
