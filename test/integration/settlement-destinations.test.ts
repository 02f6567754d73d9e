import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { formFields, page, seedAdminCast, signedIn, type Agent } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { JOB_SPECS } from '../../app/jobs/kinds.js';

/** Two of the merchant's banks registered at Xendit, as the Transactions API names them (account_identifier). */
const BCA = { channelCode: 'ID_BCA', accountNumber: '8880001234' };
const MANDIRI = { channelCode: 'ID_MANDIRI', accountNumber: '1370009876' };

/** The field of a destination's picker: the account identifier, base64url, after its currency. */
const destField = (currency: string, identifier: string) => `dest_${currency}_${Buffer.from(identifier).toString('base64url')}`;
const FORM = 'form[action$="/settings/settlement"]';

/**
 * A merchant who withdraws to two banks in one currency: each withdrawal is booked to the Xero bank
 * account mapped to the destination Xendit reports (account_identifier), the currency's settlement
 * account for any other.
 */
describeEachDatabase('settlement destinations: withdrawals to two banks in one currency', ({ db }) => {
  let h: Harness;
  let savings: string;
  let mandiri: string;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
    savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    mandiri = h.sims.xero.addAccount(h.tenantId, { code: '094', name: 'Mandiri Giro', type: 'BANK' }).accountId;
  });
  afterEach(() => h.close());

  const transfers = () => h.sims.xero.test.bankTransfers(h.tenantId);
  const toOf = (xenditId: string) => transfers().filter((t) => t.reference === `Xendit withdrawal ${xenditId}`);
  const row = (id: string) => h.stores.settlements.byXenditId(h.merchant.id, id);
  const list = () => listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
  const settingsPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantSettings');
  const settlementPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantSettlement');

  /** One paid invoice settled at Xendit, then 30 000 IDR withdrawn to each destination given. */
  async function withdrawnTo(...to: { channelCode: string; accountNumber: string | null }[]) {
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    await h.sims.xendit.settle(x.id);
    return to.map((t) => h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 30_000, { to: t }));
  }

  /** The settlement form as the page shows it, with these fields changed. */
  async function save(agent: Agent, changes: Record<string, string>, status = 303) {
    const { $ } = await page(agent, settingsPath());
    return agent
      .post(settlementPath())
      .type('form')
      .send({ ...formFields($, FORM), ...changes })
      .expect(status);
  }

  it('two banks in IDR: the withdrawal to the mapped one is booked to its Xero account, the other to the IDR settlement account', async () => {
    const [toBca, toMandiri] = await withdrawnTo(BCA, MANDIRI);
    await list();
    await h.worker.drain();
    assert.equal(transfers().length, 0, 'no account picked yet: both wait');

    const agent = await signedIn(h.app, 'a@toko.test');
    await save(agent, { settlement_IDR: savings, [destField('IDR', MANDIRI.accountNumber)]: mandiri });
    await h.worker.drain();
    assert.deepEqual(
      toOf(toBca.id).map((t) => t.toAccountId),
      [savings],
      'not mapped: the IDR settlement account',
    );
    assert.deepEqual(
      toOf(toMandiri.id).map((t) => t.toAccountId),
      [mandiri],
      'mapped: its own Xero bank account',
    );
    assert.equal(toOf(toMandiri.id)[0].fromAccountId, h.clearingAccountId);
    assert.equal((await row(toMandiri.id))?.state, 'recorded');

    // Listing again or replaying the jobs books nothing twice.
    await list();
    for (const j of (await h.stores.jobs.list()).filter((x) => x.kind === 'record-withdrawal')) await h.stores.jobs.replay(j.id, h.clock());
    await h.worker.drain();
    assert.equal(transfers().length, 2);
  });

  it('a destination mapped later: withdrawals already booked stay where they went; the next one goes to the mapped account', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    await save(agent, { settlement_IDR: savings });
    const [first] = await withdrawnTo(MANDIRI);
    await list();
    await h.worker.drain();
    assert.deepEqual(
      toOf(first.id).map((t) => t.toAccountId),
      [savings],
      'a destination never seen: the default',
    );

    const { $ } = await page(agent, settingsPath());
    const picker = $(`#f-${destField('IDR', MANDIRI.accountNumber)}`);
    assert.equal(picker.length, 1, 'the destination seen is listed with a picker');
    assert.match($(`#setting-${destField('IDR', MANDIRI.accountNumber)}`).text(), /ID_MANDIRI 1370009876/);
    assert.deepEqual(
      picker
        .find('option')
        .map((_, el) => $(el).val())
        .get()
        .sort(),
      ['', mandiri, savings].sort(),
      "only the organisation's IDR bank accounts other than the clearing one, or the default",
    );
    await save(agent, { [destField('IDR', MANDIRI.accountNumber)]: mandiri });
    const [audited] = await h.stores.audit.forMerchant(h.merchant.id);
    assert.deepEqual(
      [audited.action, audited.detail],
      ['settlement_accounts_changed', { accounts: `IDR=${savings}`, destinations: `IDR ${MANDIRI.accountNumber}=${mandiri}` }],
    );

    // The first one is booked: a replay never moves it.
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
    await h.stores.jobs.replay(job.id, h.clock());
    const second = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 20_000, { to: MANDIRI });
    await list();
    await h.worker.drain();
    assert.deepEqual(
      toOf(first.id).map((t) => t.toAccountId),
      [savings],
    );
    assert.deepEqual(
      toOf(second.id).map((t) => t.toAccountId),
      [mandiri],
    );
  });

  it('the default serves a destination not mapped and a withdrawal that names none (account_identifier null)', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const [toBca, unnamed] = await withdrawnTo(BCA, { channelCode: 'ID_BCA', accountNumber: null });
    await list();
    await h.worker.drain();
    const { $ } = await page(agent, settingsPath());
    assert.deepEqual(
      $(`${FORM} select`)
        .map((_, el) => $(el).attr('name'))
        .get(),
      ['settlement_IDR', destField('IDR', BCA.accountNumber), 'settlement_PHP'],
      'a withdrawal without a destination lists none',
    );
    assert.equal((await row(unnamed.id))?.accountIdentifier, null);
    await save(agent, { settlement_IDR: savings });
    await h.worker.drain();
    assert.deepEqual(
      [toBca, unnamed].map((w) => toOf(w.id).map((t) => t.toAccountId)),
      [[savings], [savings]],
    );
  });

  it('a mapping saved with no default resumes only the withdrawals to that destination; the default saved later, the rest', async () => {
    const [toBca, toMandiri] = await withdrawnTo(BCA, MANDIRI);
    await list();
    await h.worker.drain();
    const agent = await signedIn(h.app, 'a@toko.test');
    await save(agent, { [destField('IDR', MANDIRI.accountNumber)]: mandiri });
    await h.worker.drain();
    assert.deepEqual(
      toOf(toMandiri.id).map((t) => t.toAccountId),
      [mandiri],
    );
    assert.equal((await row(toBca.id))?.state, 'waiting', 'its destination is not mapped and there is no default');
    assert.equal(toOf(toBca.id).length, 0);
    assert.match((await page(agent, settingsPath())).$('#w-settlement_IDR').text(), /: 1 \(IDR\)/);

    await save(agent, { settlement_IDR: savings });
    await h.worker.drain();
    assert.deepEqual(
      toOf(toBca.id).map((t) => t.toAccountId),
      [savings],
    );
  });

  it('a mapping saved between the job reading none and it setting the withdrawal waiting: the job runs again and books it', async () => {
    const [toMandiri] = await withdrawnTo(MANDIRI);
    const settlements = h.stores.settlements;
    const setWaiting = settlements.waiting.bind(settlements);
    let saved = false;
    // The save lands after the job read the accounts: it finds no waiting row to resume yet.
    settlements.waiting = async (...args) => {
      if (!saved) {
        saved = true;
        const mapping = { currency: 'IDR', accountIdentifier: MANDIRI.accountNumber, accountId: mandiri };
        await settlements.saveAndResume(
          h.merchant.id,
          { accounts: {}, destinations: [mapping] },
          (w) => JOB_SPECS['record-withdrawal'].dedupeKey(w),
          h.clock(),
        );
      }
      return setWaiting(...args);
    };
    await list();
    await h.worker.drain();
    assert.equal(saved, true);
    for (let i = 0; i < 5 && (await row(toMandiri.id))?.state !== 'recorded'; i++) {
      h.clock.advance(60_000);
      await h.worker.drain();
    }
    assert.equal((await row(toMandiri.id))?.state, 'recorded', 'not stranded in waiting');
    assert.deepEqual(
      transfers().map((t) => t.toAccountId),
      [mandiri],
    );
  });

  it("a currency's clearing account removed after choices were saved for it: the form draws no picker for it, says why, and still saves the others", async () => {
    const savingsPhp = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Savings PHP', type: 'BANK', currencyCode: 'PHP' }).accountId;
    const agent = await signedIn(h.app, 'a@toko.test');
    await h.stores.settlements.saveAndResume(
      h.merchant.id,
      { accounts: { PHP: savingsPhp }, destinations: [{ currency: 'PHP', accountIdentifier: MANDIRI.accountNumber, accountId: savingsPhp }] },
      (w) => JOB_SPECS['record-withdrawal'].dedupeKey(w),
      h.clock(),
    );
    const m = (await h.stores.merchants.byId(h.merchant.id))!;
    await h.stores.merchants.setAccounts(
      h.merchant.id,
      { clearingAccountId: h.clearingAccountId, clearingAccounts: {}, feeAccountCode: m.feeAccountCode ?? '404', salesAccountCode: m.salesAccountCode },
      h.clock(),
    );
    const [w] = await withdrawnTo(BCA);
    await list();
    await h.worker.drain();
    assert.equal((await row(w.id))?.state, 'waiting');

    const { $ } = await page(agent, settingsPath());
    const phpDest = destField('PHP', MANDIRI.accountNumber);
    assert.equal($(`${FORM} [name="settlement_PHP"], ${FORM} [name="${phpDest}"]`).length, 0, 'no picker with nothing to pick');
    assert.match($('#n-settlement_PHP').text(), /no clearing account for PHP any more/);
    // A tab shown before the removal still posts the PHP pickers, empty: they ask for nothing.
    const old = { settlement_PHP: '', [phpDest]: '' };
    const refused = await save(agent, { ...old, settlement_PHP: savingsPhp }, 400);
    assert.match(cheerio.load(refused.text)('.errorsummary').text(), /no clearing account for PHP/, 'a PHP account is still refused');
    await save(agent, { ...old, settlement_IDR: savings });
    await h.worker.drain();
    assert.equal((await row(w.id))?.state, 'recorded', 'the IDR withdrawal waiting is booked');
    assert.deepEqual(
      toOf(w.id).map((t) => t.toAccountId),
      [savings],
    );
  });

  describe('the form', () => {
    /** A withdrawal to Mandiri waiting, and the settlement form as shown then: each post sends it with some changes, expecting 400. */
    async function refusals() {
      await withdrawnTo(MANDIRI);
      await list();
      await h.worker.drain();
      const agent = await signedIn(h.app, 'a@toko.test');
      // One page for every post (each refused, none changes the version). Each refusal shows the page
      // again, which asks Xero: a test sends few, within the organisation's minute limit.
      const shown = await page(agent, settingsPath());
      const send = (changes: Record<string, string>) =>
        agent
          .post(settlementPath())
          .type('form')
          .send({ ...formFields(shown.$, FORM), ...changes })
          .expect(400);
      return { agent, send };
    }

    const nothingWritten = async () => {
      assert.deepEqual(await h.stores.settlements.destinations(h.merchant.id), []);
      assert.deepEqual(await h.stores.settlements.accounts(h.merchant.id), {});
      assert.equal((await h.stores.audit.forMerchant(h.merchant.id)).length, 0);
      assert.equal(transfers().length, 0);
    };

    it('refuses a wrong-currency, archived, clearing, foreign or unknown account with a 400, writing nothing', async () => {
      const { send } = await refusals();
      const field = destField('IDR', MANDIRI.accountNumber);
      const archived = h.sims.xero.addAccount(h.tenantId, { code: '095', name: 'Old Giro', type: 'BANK' }).accountId;
      h.sims.xero.test.archiveAccount(h.tenantId, archived);
      const phpBank = h.sims.xero.addAccount(h.tenantId, { code: '096', name: 'Savings PHP', type: 'BANK', currencyCode: 'PHP' }).accountId;
      const elsewhere = h.sims.xero.addOrganisation({ clientId: 'c-else', clientSecret: 's-else', name: 'Lain', shortCode: '!Else', baseCurrency: 'IDR' });
      const foreign = h.sims.xero.bankAccountFor(elsewhere.tenantId, 'Business Savings Account').accountId;
      const $ = cheerio.load((await send({ [field]: 'not-an-account' })).text);
      assert.deepEqual(
        $(`#f-${field} option`)
          .map((_, el) => $(el).val())
          .get()
          .sort(),
        ['', mandiri, savings].sort(),
        'offered: active IDR bank accounts of this organisation other than the clearing one',
      );
      for (const accountId of [phpBank, archived, h.clearingAccountId, foreign]) {
        const res = await send({ [field]: accountId });
        assert.match(cheerio.load(res.text)(`#e-${field}`).text(), /Choose a IDR bank account from the list/);
      }
      await nothingWritten();
    });

    it('refuses a destination not listed or a field not as the page names it (400), a post without its CSRF token or from staff (403), writing nothing', async () => {
      const { agent, send } = await refusals();
      const field = destField('IDR', MANDIRI.accountNumber);
      for (const bad of [
        { [destField('IDR', '9990000000')]: mandiri }, // never seen
        { [destField('PHP', MANDIRI.accountNumber)]: h.clearingPhpAccountId }, // seen in IDR only
        { [destField('USD', MANDIRI.accountNumber)]: mandiri }, // a currency without a clearing account
        { 'dest_IDR_%%%': mandiri }, // not base64url
        { [`${field}=`]: mandiri }, // not as the page names it
      ]) {
        const res = await send(bad);
        assert.match(cheerio.load(res.text)('.errorsummary').text(), /not one of the withdrawal destinations listed on this page/);
      }
      // Without the CSRF token, or from the merchant's staff: refused before anything is read.
      const { $ } = await page(agent, settingsPath());
      const { _csrf: _, ...noCsrf } = formFields($, FORM);
      await agent
        .post(settlementPath())
        .type('form')
        .send({ ...noCsrf, [field]: mandiri })
        .expect(403);
      const owner = (await h.stores.users.byEmail('a@toko.test'))!;
      await h.stores.users.add(
        { email: 'staff@toko.test', passwordHash: owner.passwordHash, role: 'merchant', merchantId: h.merchant.id, merchantRole: 'staff' },
        h.clock(),
      );
      await save(await signedIn(h.app, 'staff@toko.test'), { [field]: mandiri }, 403);
      await nothingWritten();

      // The same form, sent as shown with the mapping: saved, and the waiting withdrawal booked.
      await save(agent, { [field]: mandiri });
      assert.deepEqual(await h.stores.settlements.destinations(h.merchant.id), [
        { currency: 'IDR', accountIdentifier: MANDIRI.accountNumber, accountId: mandiri },
      ]);
      await h.worker.drain();
      assert.deepEqual(
        transfers().map((t) => t.toAccountId),
        [mandiri],
      );
    });

    it('another tab saved a mapping since the form was shown: 409, nothing written', async () => {
      await withdrawnTo(BCA, MANDIRI);
      await list();
      await h.worker.drain();
      const agent = await signedIn(h.app, 'a@toko.test');
      const stale = await page(agent, settingsPath());
      await save(agent, { [destField('IDR', MANDIRI.accountNumber)]: mandiri });
      await agent
        .post(settlementPath())
        .type('form')
        .send({ ...formFields(stale.$, FORM), [destField('IDR', BCA.accountNumber)]: savings })
        .expect(409);
      assert.deepEqual(await h.stores.settlements.destinations(h.merchant.id), [
        { currency: 'IDR', accountIdentifier: MANDIRI.accountNumber, accountId: mandiri },
      ]);
    });
  });
});
