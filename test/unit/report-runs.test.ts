import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { createReportRuns, REPORT_LEASE_MS, ReportBusy, type Every } from '../../app/admin/reconciliation/runs.js';
import type { ReportRunStore } from '../../app/store/report-runs.js';

/** report_runs as store/report-runs.ts keeps it, in memory: one holder per merchant until its lease is past. */
function memoryLeases() {
  const rows = new Map<string, { holder: string; until: number }>();
  const leases: Pick<ReportRunStore, 'take' | 'renew' | 'release'> = {
    async take(merchantId, holder, now, until) {
      const row = rows.get(merchantId);
      if (row && row.until > now.getTime()) return false;
      rows.set(merchantId, { holder, until: until.getTime() });
      return true;
    },
    async renew(merchantId, holder, until) {
      const row = rows.get(merchantId);
      if (row?.holder !== holder) return false;
      row.until = until.getTime();
      return true;
    },
    async release(merchantId, holder) {
      if (rows.get(merchantId)?.holder === holder) rows.delete(merchantId);
    },
  };
  return { leases, rows };
}

describe('reconciliation report runs: one per merchant, leased', () => {
  let now: number;
  const clock = () => new Date(now);
  let renewals: (() => void)[];
  const every: Every = (_ms, fn) => {
    renewals.push(fn);
    return () => (renewals = renewals.filter((f) => f !== fn));
  };
  const renewAll = async () => {
    for (const fn of renewals) fn();
    await new Promise(setImmediate);
  };
  beforeEach(() => {
    now = Date.parse('2026-12-06T10:00:00Z');
    renewals = [];
  });
  const range = { from: '2026-11-01', to: '2026-11-30' };
  const logger = pino({ level: 'silent' });

  it('a run longer than its lease keeps the merchant while it renews; its end releases it and stops renewing', async () => {
    const { leases, rows } = memoryLeases();
    const runs = createReportRuns<string>({ clock, leases, logger, every });
    let finish!: (r: string) => void;
    const long = runs.run('m1', range, false, () => new Promise<string>((resolve) => (finish = resolve)));
    await new Promise(setImmediate);
    for (let i = 0; i < 10; i++) {
      now += REPORT_LEASE_MS / 2;
      await renewAll();
    }
    await assert.rejects(
      runs.run('m1', range, false, async () => 'second'),
      ReportBusy,
    );
    assert.equal(await runs.run('m2', range, false, async () => 'other merchant'), 'other merchant');
    finish('first');
    assert.equal(await long, 'first');
    assert.equal(rows.size, 0);
    assert.deepEqual(renewals, [], 'no renewal left running');
    assert.equal(await runs.run('m1', range, false, async () => 'next'), 'next');
  });

  it('a run that fails releases the merchant', async () => {
    const { leases, rows } = memoryLeases();
    const runs = createReportRuns<string>({ clock, leases, logger, every });
    await assert.rejects(
      runs.run('m1', range, false, async () => {
        throw new Error('Xendit is down');
      }),
      /Xendit is down/,
    );
    assert.equal(rows.size, 0);
    assert.deepEqual(renewals, []);
  });

  it('a lease not renewed (its process died) lapses: the next run takes it over', async () => {
    const { leases } = memoryLeases();
    assert.ok(await leases.take('m1', 'dead-process', clock(), new Date(now + REPORT_LEASE_MS)));
    const runs = createReportRuns<string>({ clock, leases, logger, every });
    await assert.rejects(
      runs.run('m1', range, false, async () => 'too soon'),
      ReportBusy,
    );
    now += REPORT_LEASE_MS;
    assert.equal(await runs.run('m1', range, false, async () => 'taken over'), 'taken over');
  });
});
