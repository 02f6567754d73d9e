import { readFileSync } from 'node:fs';
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { movementSetup } from '../helpers/movement-fees.js';
import type { Harness } from '../helpers/harness.js';
import { recordOtherMovementJob } from '../../app/jobs/sync/record-other-movement.js';
import type { CrashPoint } from '../../app/jobs/sync/crash-points.js';
import { reconciliationReport } from '../../app/report/reconcile.js';

/**
 * A payout whose fee Xendit took out of its amount after the gateway had booked the whole amount
 * (its fee PENDING then): the gateway books no fee (the clearing account already fell by all that
 * left the balance), and, as for a withdrawal (withdrawalFeeNotBooked), a person is told to mend the
 * entry and book the fee by hand under its Reference. Sent back later, the gateway finds that fee
 * before it would book one, gives it back when Xendit does, and books back what the entry carries.
 */
describeEachDatabase('other movements: a fee inside an amount booked whole, told to a person and booked by hand', ({ db }) => {
  const t = movementSetup(db);
  let h: Harness;
  const FEE = { xenditFee: 5_000, vat: 550 };
  beforeEach(async () => {
    await t.start();
    h = t.h;
  });
  afterEach(() => t.close());
  const { key, list, entries, xenditBalance, clearingBalance } = t;
  const told = () => h.stores.db.selectFrom('alerts').select(['message']).where('kind', '=', 'movementFeeNotBooked').execute();
  const rowOf = (id: string) => h.stores.otherMovements.byXenditId(h.merchant.id, id);
  const deps = () => ({ stores: h.stores, xero: h.sims.xeroClient, clock: h.clock, logger: pino({ level: 'silent' }) });

  /** The report from yesterday to tomorrow agrees. */
  async function reconciled(id: string) {
    const day = (offset: number) => new Date(h.clock().getTime() + offset * 86_400_000).toISOString().slice(0, 10);
    const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    const r = await reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, merchant, { from: day(-1), to: day(1) });
    assert.deepEqual([r.totals.IDR?.difference, r.reconciled], ['0.00', true], JSON.stringify([r.rows.filter((x) => x.note.includes(id)), r.totals]));
  }

  /** IDR 20,000 paid out, booked whole while its fee was PENDING; the fee COMPLETED, inside the amount. */
  async function bookedWhole() {
    const m = h.sims.xendit.test.movement(key(), {
      type: 'DISBURSEMENT',
      currency: 'IDR',
      amount: 20_000,
      cashflow: 'MONEY_OUT',
      fee: { ...FEE, inAmount: true, pending: true },
    });
    await list();
    await h.worker.drain();
    h.sims.xendit.test.completeMovementFee(key(), m.id);
    await list();
    await h.worker.drain();
    return m;
  }

  /** As the person told does in Xero: the fee booked under its Reference, and (`mend`) the entry edited in place to the amount less the fee. */
  async function byHand(id: string, { mend = true, times = 1 } = {}) {
    for (let i = 0; i < times; i++)
      await h.sims.xeroClient.createBankTransaction(
        h.merchant.xero,
        {
          type: 'SPEND',
          bankAccountId: h.clearingAccountId,
          contactName: 'Xendit',
          date: h.clock().toISOString().slice(0, 10),
          reference: `Xendit movement fee ${id}`,
          currencyCode: 'IDR',
          reconciled: true,
          lineItems: [{ description: 'fee Xendit took out of a payout', accountCode: h.merchant.feeAccountCode!, amount: '5550' }],
        },
        `fee-by-hand-${i}`,
      );
    if (!mend) return;
    const [entry] = entries(`Xendit movement ${id}`);
    entry.lineItems[0].lineAmount = 1_445_000n;
    entry.total = 1_445_000n;
  }

  async function sentBack(id: string, fee: 'given back' | 'kept') {
    h.clock.advance(3_600_000);
    h.sims.xendit.test.reverseMovement(key(), id, undefined, fee === 'kept' ? { fee: 'COMPLETED' } : {});
    await list();
  }

  it('the fee learnt after the whole amount was booked: not booked, a person is told once, naming the movement and the fee', async () => {
    const m = await bookedWhole();
    assert.deepEqual([entries(`Xendit movement ${m.id}`).map((x) => x.total), entries(`Xendit movement fee ${m.id}`)], [[2_000_000n], []]);
    assert.equal(clearingBalance(), xenditBalance(), 'the whole amount left both');
    const alerts = await told();
    assert.equal(alerts.length, 1, 'a person is told');
    assert.match(alerts[0].message, new RegExp(`${m.id}.*5550`));
    // It names the Reference the gateway looks for, in every language.
    for (const lang of ['en', 'id']) {
      const text = (JSON.parse(readFileSync(new URL(`../../locales/${lang}/alerts.json`, import.meta.url), 'utf8')) as Record<string, string>)
        .movementFeeNotBooked;
      assert.ok(text?.includes('"Xendit movement fee {movement}"'), `${lang}: ${text}`);
    }
    // Listed again, its job replayed: told once, nothing booked.
    await list();
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement');
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    assert.deepEqual([(await told()).length, entries(`Xendit movement fee ${m.id}`).length], [1, 0]);
  });

  it('mended and the fee booked by hand, then sent back with the fee kept: no second fee, the entry back carries what the entry does', async () => {
    const m = await bookedWhole();
    await byHand(m.id);
    assert.equal(clearingBalance(), xenditBalance());
    await sentBack(m.id, 'kept');
    await h.worker.drain();
    assert.deepEqual(entries(`Xendit movement fee ${m.id}`).length, 1, "the person's fee only");
    assert.deepEqual(
      entries(`Xendit movement reversed ${m.id}`).map((x) => x.total),
      [1_445_000n],
      'what the entry carries',
    );
    assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");
    const row = await rowOf(m.id);
    assert.deepEqual([row?.state, row?.xeroFeeEntryId], ['recorded', entries(`Xendit movement fee ${m.id}`)[0].bankTransactionId]);
    await reconciled(m.id);
  });

  it("the fee booked by hand, sent back with the fee kept, run as a job never queued again (retry 0): the person's fee is found, none booked", async () => {
    const m = await bookedWhole();
    await byHand(m.id, { mend: false });
    await sentBack(m.id, 'kept');
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement' && j.state === 'queued');
    // Only the row can say the fee may be in Xero: a job row made afresh (the old one purged) counts no retry.
    await recordOtherMovementJob(deps())({ ...job, payload: { ...job.payload, retry: 0 } });
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 1, "the person's fee only");
    assert.deepEqual(
      entries(`Xendit movement reversed ${m.id}`).map((x) => x.total),
      [2_000_000n],
      'not mended: the whole amount back',
    );
    assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");
  });

  /** Sent back with its fee given back: the entry back carries what the entry does, the person's fee comes back, once. */
  async function allBack(id: string) {
    assert.deepEqual(
      entries(`Xendit movement reversed ${id}`).map((x) => x.total),
      [1_445_000n],
      'what the entry carries',
    );
    assert.deepEqual(
      entries(`Xendit movement fee returned ${id}`).map((x) => [x.type, x.total, x.accountId, x.lineItems.map((l) => l.accountCode)]),
      [['RECEIVE', 555_000n, h.clearingAccountId, [h.merchant.feeAccountCode]]],
      "the person's fee given back",
    );
    assert.equal(entries(`Xendit movement fee ${id}`).length, 1);
    assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");
    const row = await rowOf(id);
    assert.deepEqual([row?.state, row?.xeroFeeEntryId], ['recorded', entries(`Xendit movement fee ${id}`)[0].bankTransactionId]);
  }

  it('mended and the fee booked by hand, then sent back with the fee given back: that fee comes back, once', async () => {
    const m = await bookedWhole();
    await byHand(m.id);
    await sentBack(m.id, 'given back');
    await h.worker.drain();
    await allBack(m.id);
    await reconciled(m.id);
    await list();
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement');
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    await allBack(m.id);
  });

  for (const point of ['other-movement-reversal-accepted', 'other-movement-fee-return-accepted'] as const) {
    it(`mended, the fee by hand, given back, killed at ${point}: the re-run books each once`, async () => {
      const m = await bookedWhole();
      await byHand(m.id);
      await sentBack(m.id, 'given back');
      const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement' && j.state === 'queued');
      const killed = new Error(`killed at ${point}`);
      const crash = (p: CrashPoint) => {
        if (p === point) throw killed;
      };
      await assert.rejects(recordOtherMovementJob({ ...deps(), crash })(job), killed);
      assert.equal((await rowOf(m.id))?.xeroFeeEntryId, entries(`Xendit movement fee ${m.id}`)[0].bankTransactionId, "the person's fee stored first");
      h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
      h.clock.advance(3 * 60_000);
      await recordOtherMovementJob(deps())(job);
      await recordOtherMovementJob(deps())(job);
      await allBack(m.id);
    });
  }

  it('the fee booked by hand twice, given back: in review saying what to book, nothing given back; booked by hand, a Retry settles it', async () => {
    const m = await bookedWhole();
    await byHand(m.id, { times: 2 });
    await sentBack(m.id, 'given back');
    await h.worker.drain();
    const row = await rowOf(m.id);
    assert.equal(row?.state, 'needs_review');
    assert.match(row?.lastError ?? '', /2 spend money entries carry the Reference "Xendit movement fee .*Reference "Xendit movement fee returned /);
    assert.deepEqual(entries(`Xendit movement fee returned ${m.id}`), [], 'nothing guessed');
    await h.sims.xeroClient.createBankTransaction(
      h.merchant.xero,
      {
        type: 'RECEIVE',
        bankAccountId: h.clearingAccountId,
        contactName: 'Xendit',
        date: h.clock().toISOString().slice(0, 10),
        reference: `Xendit movement fee returned ${m.id}`,
        currencyCode: 'IDR',
        reconciled: true,
        lineItems: [{ description: 'fees given back', accountCode: h.merchant.feeAccountCode!, amount: '11100' }],
      },
      'fee-back-by-hand',
    );
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement');
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    assert.equal((await rowOf(m.id))?.state, 'recorded');
    assert.equal(entries(`Xendit movement fee returned ${m.id}`).length, 1, "the person's only");
    assert.equal(clearingBalance(), xenditBalance());
  });
});
