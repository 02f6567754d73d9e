import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { seedAdminCast, signedIn } from '../helpers/admin.js';
import { adminMerchantPath, paths } from '../../app/paths.js';
import type { Merchant } from '../../app/store/merchants.js';

/** The payments dashboard says which merchants lost their Xero connection, with the way back. */
describeEachDatabase('admin: "Xero disconnected — reconnect" on the payments dashboard', ({ db }) => {
  let h: Harness;
  let other: Merchant;
  beforeEach(async () => {
    h = await createHarness(db());
    other = await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  const banners = async (email: string, url: string = paths.admin) => {
    const $ = cheerio.load((await (await signedIn(h.app, email)).get(url).expect(200)).text);
    return $('[data-xero-disconnected]')
      .map((_i, el) => ({ id: $(el).attr('data-xero-disconnected'), text: $(el).text().replace(/\s+/g, ' ').trim(), href: $(el).find('a').attr('href') }))
      .get();
  };

  it('shows the banner to whoever sees that merchant, with a link to reconnect, and only then', async () => {
    assert.deepEqual(await banners('ops@example.com'), [], 'all connected: no banner');
    await h.stores.xeroConnections.disconnect(h.merchant.id, 'Xero refused the refresh token (invalid_grant)', h.clock());

    const ops = await banners('ops@example.com');
    assert.deepEqual(ops, [
      {
        id: h.merchant.id,
        text: 'Xero disconnected — reconnect: Toko Test. Its payments wait and are recorded after you reconnect. Reconnect to Xero',
        href: adminMerchantPath(h.merchant.id),
      },
    ]);
    assert.equal((await banners('a@toko.test')).length, 1, "the merchant's own user sees it");
    assert.deepEqual(await banners('b@lain.test'), [], "another merchant's user does not");
    assert.deepEqual(await banners('ops@example.com', `${paths.admin}?merchant=${other.id}`), [], 'an operator filtering on another merchant does not');
    const id = await banners('a@toko.test', `${paths.admin}?lang=id`);
    assert.equal(
      id[0]?.text,
      'Xero terputus — sambungkan lagi: Toko Test. Pembayarannya menunggu dan dicatat setelah Anda menyambungkan lagi. Sambungkan lagi ke Xero',
    );
  });
});
