import { sql } from 'kysely';
import type { Db } from './db.js';
import type { XenditMode } from './merchants.js';
import { MERCHANT_SECRET_COLUMNS, merchantSecretContext, retiredKeyContext } from './merchants.js';
import { tokensContext } from './xero-tokens.js';
import { secretContext, type SecretBox } from '../security/secrets.js';

export interface ResealOutcome {
  /** Values sealed again with the current key (and bound to their place). */
  resealed: number;
  /** Values that were already current. */
  current: number;
  /** Values that no known key opens: where they are, never what they hold. */
  failed: string[];
}

/**
 * Seals every stored secret again with the current SECRETS_KEY, bound to its row and column, so
 * a previous key can be retired: the merchants' secrets, Xero tokens and OAuth states, and the old
 * Xendit key a queued retire-xendit-key job carries in its payload. Each value is replaced only if
 * it is still what was read (a value changed meanwhile was sealed with the current key anyway), so
 * it runs safely beside the server; all in one transaction, so what it reports is what was committed.
 */
export function createSecretsStore(db: Db, box: SecretBox) {
  async function resealOne(out: ResealOutcome, where: string, sealed: string | null, context: string, write: (next: string) => Promise<void>) {
    if (!sealed) return;
    if (box.isCurrent(sealed)) {
      out.current++;
      return;
    }
    let plain: string;
    try {
      plain = box.open(sealed, context);
    } catch {
      out.failed.push(where);
      return;
    }
    await write(box.seal(plain, context));
    out.resealed++;
  }

  return {
    resealAll(): Promise<ResealOutcome> {
      return db.transaction().execute((trx) => resealIn(trx));
    },
  };

  async function resealIn(trx: Db): Promise<ResealOutcome> {
    const out: ResealOutcome = { resealed: 0, current: 0, failed: [] };
    const merchants = await trx
      .selectFrom('merchants')
      .select(['id', 'mode', ...MERCHANT_SECRET_COLUMNS])
      .execute();
    for (const row of merchants) {
      for (const column of MERCHANT_SECRET_COLUMNS) {
        const sealed = row[column];
        await resealOne(
          out,
          `merchants.${column} ${row.id}`,
          sealed,
          merchantSecretContext(column, { id: row.id, mode: row.mode as XenditMode }),
          async (next) => {
            await trx
              .updateTable('merchants')
              .set({ [column]: next })
              .where('id', '=', row.id)
              .where(column, '=', sealed!)
              .execute();
          },
        );
      }
    }
    const tokens = await trx.selectFrom('xero_tokens').select(['merchant_id', 'token_set_enc']).execute();
    for (const row of tokens) {
      await resealOne(out, `xero_tokens.token_set_enc ${row.merchant_id}`, row.token_set_enc, tokensContext(row.merchant_id), async (next) => {
        await trx
          .updateTable('xero_tokens')
          .set({ token_set_enc: next })
          .where('merchant_id', '=', row.merchant_id)
          .where('token_set_enc', '=', row.token_set_enc)
          .execute();
      });
    }
    const states = await trx.selectFrom('xero_oauth_states').select(['state_hash', 'code_verifier_enc', 'pending_token_set_enc']).execute();
    for (const row of states) {
      for (const column of ['code_verifier_enc', 'pending_token_set_enc'] as const) {
        const sealed = row[column];
        await resealOne(out, `xero_oauth_states.${column}`, sealed, secretContext('xero_oauth_states', column, row.state_hash), async (next) => {
          await trx
            .updateTable('xero_oauth_states')
            .set({ [column]: next })
            .where('state_hash', '=', row.state_hash)
            .where(column, '=', sealed!)
            .execute();
        });
      }
    }
    // A retire job's old key, sealed for the job (merchants.ts retireKey): unread, it could not
    // expire the old key's checkouts once the previous SECRETS_KEY is gone. Done ones too, as
    // `jobs replay` may run one again before housekeeping deletes it.
    const retiring = await trx.selectFrom('jobs').select(['id', 'payload']).where('kind', '=', 'retire-xendit-key').execute();
    for (const row of retiring) {
      const { merchantId, sealedKey } = row.payload as { merchantId?: unknown; sealedKey?: unknown };
      if (typeof merchantId !== 'string' || typeof sealedKey !== 'string') continue;
      await resealOne(out, `jobs.payload.sealedKey ${row.id}`, sealedKey, retiredKeyContext(merchantId), async (next) => {
        await trx
          .updateTable('jobs')
          .set({ payload: sql`jsonb_set(payload, '{sealedKey}', to_jsonb(${next}::text))` })
          .where('id', '=', row.id)
          .where(sql<string>`payload->>'sealedKey'`, '=', sealedKey)
          .execute();
      });
    }
    return out;
  }
}
