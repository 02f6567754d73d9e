import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../../app/store/schema.js';
import type { Db } from '../../app/store/db.js';
import { createPostgresDatabase } from './db.js';

/** What the database was asked for while counting. */
export interface Counted {
  /** Each query sent: a round trip. */
  roundTrips: number;
  /** Those that opened a transaction (BEGIN). */
  transactions: number;
  /** Every statement PostgreSQL ran for them, those run inside plpgsql functions included (auto_explain). */
  statements: number;
  /** The statements' text, in the order they ended (a nested one before the one that ran it). */
  statementTexts: string[];
}

/**
 * A migrated database of its own whose pool counts what it is asked. Nested statements are counted
 * by auto_explain (PostgreSQL's contrib module; LOAD needs a superuser, as the test server's user
 * is), logging each one's plan as a notice to the connection that ran it: delivered before that
 * query's answer, so a count read after the answers is complete. A count, not a timing.
 */
export async function countedDatabase(): Promise<{
  db: Db;
  /** The same database, uncounted. */
  url: string;
  start(): void;
  stop(): Promise<Counted>;
  close(): Promise<void>;
}> {
  const made = await createPostgresDatabase({ migrated: true });
  const pool = new pg.Pool({ connectionString: made.url, max: 10 });
  // close() drops the database with force: pool.end() answers once its clients are told to end, and a
  // backend not gone yet is then terminated (57P01), emitted on the pool; unheard, it killed the test
  // worker (as app/store/db.ts connect() hears it in the gateway).
  pool.on('error', () => undefined);
  let counting = false;
  let counted: Counted = { roundTrips: 0, transactions: 0, statements: 0, statementTexts: [] };
  const inFlight = new Set<Promise<unknown>>();
  const setups: Promise<unknown>[] = [];
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    // Sent before anything else on this connection, and never counted.
    setups.push(
      query(
        "load 'auto_explain'; set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on; " +
          'set auto_explain.log_level = notice; set auto_explain.log_format = json',
      ) as Promise<unknown>,
    );
    client.on('notice', (n) => {
      if (!counting || !n.message?.includes('"Query Text"')) return;
      counted.statements++;
      const plan = JSON.parse(n.message.slice(n.message.indexOf('{'))) as { 'Query Text': string };
      counted.statementTexts.push(plan['Query Text'].replace(/\s+/g, ' ').trim());
    });
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
      if (counting) {
        counted.roundTrips++;
        if (/^\s*begin\b/i.test(text ?? '')) counted.transactions++;
      }
      const sent = query(...args);
      if (sent instanceof Promise) {
        inFlight.add(sent);
        void sent.catch(() => undefined).finally(() => inFlight.delete(sent));
      }
      return sent;
    };
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    url: made.url,
    start() {
      counted = { roundTrips: 0, transactions: 0, statements: 0, statementTexts: [] };
      counting = true;
    },
    /** Once every query sent so far has been answered. */
    async stop() {
      await Promise.all(setups);
      while (inFlight.size) await Promise.allSettled([...inFlight]);
      counting = false;
      return counted;
    },
    async close() {
      await db.destroy();
      await made.drop();
    },
  };
}
