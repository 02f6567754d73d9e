/** A withdrawal in review because Xero refused its bank transfer: the set-up the review tests share. */
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { paidThroughGateway, type Harness } from './harness.js';
import { page, versionOf, type Agent } from './admin.js';
import { adminMerchantPath } from '../../app/paths.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';

/** The IDR settlement bank account picked on the merchant's settings page, as a person does. */
export async function pickSettlementOnPage(h: Harness, agent: Agent, accountId: string): Promise<void> {
  const form = await page(agent, adminMerchantPath(h.merchant.id, 'adminMerchantSettings'));
  const version = versionOf(form.$, 'form[action$="/settings/settlement"]');
  await agent
    .post(adminMerchantPath(h.merchant.id, 'adminMerchantSettlement'))
    .type('form')
    .send({ _csrf: form.csrf(), version, settlement_IDR: accountId })
    .expect(303);
}

/** One run of the withdrawals listing. */
export const listWithdrawals = (h: Harness) =>
  listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();

/**
 * A withdrawal Xero refused: the settlement bank account `pick` picks (the Business Savings Account)
 * was archived in Xero since, and an archived account takes no new entries (a Bank Transfer to it is
 * a 400). A payment is made and settled, 100 000 IDR withdrawn and listed; its job ends in review.
 */
export async function withdrawalRefusedByXero(h: Harness, pick: (accountId: string) => Promise<unknown>) {
  const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account');
  await pick(savings.accountId);
  h.sims.xero.test.archiveAccount(h.tenantId, savings.accountId);
  const { x } = await paidThroughGateway(h);
  await h.worker.drain();
  await h.sims.xendit.settle(x.id);
  await h.worker.drain();
  const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000);
  await listWithdrawals(h);
  await h.worker.drain();
  const job = (await h.stores.jobs.list()).find((j) => j.kind === 'record-withdrawal')!;
  assert.equal(job.state, 'needs_review');
  return { w, job };
}
