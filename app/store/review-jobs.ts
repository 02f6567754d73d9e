/**
 * The jobs a person must look at (needs_review) as the admin's review page lists them, per merchant
 * (admin/review). The kinds are the caller's: this store names none. Queued again with jobs.replay.
 */
import type { Db } from './db.js';
import { int8 } from './int8.js';

export interface JobInReview {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  lastError: string | null;
  /** When it went to review (its last write). */
  stoppedAt: Date;
}

export function createReviewJobStore(db: Db) {
  const inReview = (kinds: readonly string[]) => db.selectFrom('jobs').where('state', '=', 'needs_review').where('kind', 'in', kinds);
  return {
    /** The merchant's jobs of these kinds in review, the latest to stop first, at most `limit`. */
    async list(merchantId: string, kinds: readonly string[], limit: number): Promise<JobInReview[]> {
      if (!kinds.length) return [];
      const rows = await inReview(kinds)
        .select(['id', 'kind', 'payload', 'last_error', 'updated_at'])
        .where('merchant_id', '=', merchantId)
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ id: int8(r.id), kind: r.kind, payload: r.payload, lastError: r.last_error, stoppedAt: r.updated_at }));
    },

    /** How many jobs of these kinds are in review, per merchant: of these merchants, or of all. Merchants with none are left out. */
    async counts(merchantIds: string[] | 'all', kinds: readonly string[]): Promise<Map<string, number>> {
      if (!kinds.length || (merchantIds !== 'all' && !merchantIds.length)) return new Map();
      let q = inReview(kinds)
        .select(['merchant_id', (eb) => eb.fn.countAll<string>().as('n')])
        .where('merchant_id', 'is not', null)
        .groupBy('merchant_id');
      if (merchantIds !== 'all') q = q.where('merchant_id', 'in', merchantIds);
      return new Map((await q.execute()).map((r) => [r.merchant_id!, Number(r.n)]));
    },
  };
}

export type ReviewJobStore = ReturnType<typeof createReviewJobStore>;
