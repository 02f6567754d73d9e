/** Manual journals (ManualJournals): posted by the gateway, listed by reconciliation. */
import { allPages, lookup, pageOf, whereEquals, type XeroCalls } from './call.js';
import { firstCreated, refusedIfInvalid } from './errors.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { manualJournalBody, mapManualJournal } from './mappers.js';
import type { XeroGateway } from './types.js';

export function journalCalls({ call }: XeroCalls): Pick<XeroGateway, 'findManualJournalsByNarration' | 'createManualJournal' | 'listManualJournals'> {
  return {
    async findManualJournalsByNarration(creds, narration) {
      const rows = await lookup(
        whereEquals('Narration', narration),
        (where, page) =>
          call(creds, 'findManualJournalsByNarration', (api) => api.getManualJournals(creds.tenantId, undefined, where, undefined, page)).then((r) =>
            pageOf(r.body.manualJournals, r.body.pagination),
          ),
        (j) => j.manualJournalID,
      );
      // Xero's `where` compares case-insensitively: keep exact matches only.
      return rows.filter((j) => j.narration === narration && !['DELETED', 'VOIDED'].includes(String(j.status))).map(mapManualJournal);
    },

    async createManualJournal(creds, journal, idempotencyKey) {
      const body = { manualJournals: [manualJournalBody(journal)] };
      const res = await call(
        creds,
        'createManualJournal',
        (api) => api.createManualJournals(creds.tenantId, body, undefined, idempotencyKeyFor(idempotencyKey, 'createManualJournal', body)),
        { purpose: 'payment-write', write: true },
      );
      return mapManualJournal(refusedIfInvalid(firstCreated(res.body.manualJournals, 'createManualJournals answered without a manual journal')));
    },

    async listManualJournals(creds) {
      const rows = await allPages(
        (page) =>
          call(creds, 'listManualJournals', (api) => api.getManualJournals(creds.tenantId, undefined, 'Status=="POSTED"', undefined, page)).then((r) =>
            pageOf(r.body.manualJournals, r.body.pagination),
          ),
        (j) => j.manualJournalID,
      );
      return rows.filter((j) => String(j.status) === 'POSTED').map(mapManualJournal);
    },
  };
}
