/**
 * Jobs of one merchant run side by side as a group (the runner claims them together); their Xero
 * writes and lookups are gathered here and sent as one call each: PUT /Payments and
 * /BankTransactions with many items (summarizeErrors=false), GET with `Reference==… OR …`.
 *
 * Each job keeps its own exactly-once logic: it commits its attempt before its item is queued (so
 * a batch whose answer is lost leaves every item marked, and each is looked up by Reference before
 * it is sent again, those lookups gathered in turn), and it gets back its own item's result, a
 * refusal as the same UpstreamError a single create would have thrown. A call that fails as a
 * whole fails every item with its error; a request-level refusal (400 for the whole batch, which
 * summarizeErrors=false should never give) sends each item alone, so one item cannot sink the rest.
 *
 * Queued calls are sent once every job still running is waiting on one of them (nothing more can
 * join), or after `maxWaitMs` (5 s) if some job is slow elsewhere.
 *
 * The jobs' own database statements are gathered the same way (`together`): the merchant's 50 jobs
 * mark their attempts, store their answers and read their rows in one statement each instead of
 * 50 (the drain's profile: a round trip to PostgreSQL cost the worker more CPU than anything else).
 * A statement gathered before a create is committed before the create is queued, as it was alone.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { UpstreamError } from '../clients/types.js';
import { XeroValidationRefusal } from '../clients/xero/errors.js';
import type {
  NewXeroBankTransaction,
  NewXeroPayment,
  XeroBankTransaction,
  XeroCredentials,
  XeroGateway,
  XeroItemResult,
  XeroPayment,
} from '../clients/xero/types.js';

interface Queued<I, R> {
  creds: XeroCredentials;
  item: I;
  key: string;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

/** A database statement's items are all sent together, whatever organisation. */
const NO_CREDENTIALS: XeroCredentials = { clientId: '', clientSecret: '', tenantId: '' };

type Sender<I, R> = (creds: XeroCredentials, items: Queued<I, R>[]) => Promise<void>;

export interface GroupMember {
  /** The gateway the job uses: its writes and lookups join the group's batches. */
  xero: XeroGateway;
  /** Before the job runs (it may wait for a running slot). */
  start(): Promise<void>;
  /** When the job is done. */
  leave(): void;
  /**
   * Runs `fn` (a call to another service: Xendit) without holding the job's running slot, so the
   * group's other jobs do their own work meanwhile instead of queueing behind a network wait; at
   * most UPSTREAM_PER_GROUP of the group's at once.
   */
  upstream<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * `item` joins the group's other jobs' items of `name`, and `runAll` (the first job's) makes one
   * statement of them all, answering one result per item in order. Waiting, the job holds no slot.
   */
  together<I, R>(name: string, item: I, runAll: (items: I[]) => Promise<R[]>): Promise<R>;
  /**
   * One answer for the whole group (the merchant's row: 50 jobs of one merchant read it once).
   * Kept for the group's life, seconds, as long as one job's own read would be; a failure is not kept.
   */
  remembered<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export interface JobGroup {
  /** One job of the group. */
  member(): GroupMember;
}

/**
 * Jobs of a group that run at once outside Xero calls. A job waiting on the group's batch gives its
 * slot to the next, so the whole group still reaches one call, while the worker as a whole runs no
 * more jobs at a time than WORKER_CONCURRENCY says. (50 at once per group made a callback's insert
 * wait behind the worker's queries: p99 585 ms in the bench; 4 at once, 118 ms.)
 */
export const RUNNING_PER_GROUP = 1;

/**
 * A group's calls to other services (Xendit) at once. One at a time, a group of 50 waited 50 × 30 ms
 * on Xendit before its first Xero call; all 50 at once, 20 groups put 1 000 requests on the event
 * loop (and on Xendit) together, which the web's callbacks would feel when worker and web share a
 * process.
 */
export const UPSTREAM_PER_GROUP = 5;

export function createXeroBatch(base: XeroGateway, opts: { logger?: Logger; maxWaitMs?: number; running?: number; upstream?: number } = {}): JobGroup {
  const maxWaitMs = opts.maxWaitMs ?? 5000;
  const slots = semaphore(opts.running ?? RUNNING_PER_GROUP);
  const upstreamCalls = semaphore(opts.upstream ?? UPSTREAM_PER_GROUP);
  let active = 0;
  let queuedCount = 0;
  let timer: NodeJS.Timeout | undefined;
  const queues: { items: Queued<never, never>[]; send: Sender<never, never> }[] = [];

  function queue<I, R>(send: Sender<I, R>) {
    const q = { items: [] as Queued<I, R>[], send };
    queues.push(q as unknown as (typeof queues)[number]);
    return (creds: XeroCredentials, item: I, key: string) =>
      new Promise<R>((resolve, reject) => {
        q.items.push({ creds, item, key, resolve, reject });
        queuedCount++;
        check();
      });
  }

  function check(): void {
    if (queuedCount === 0) return;
    if (queuedCount >= active) return flush();
    timer ??= setTimeout(flush, maxWaitMs);
    timer.unref?.();
  }

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    queuedCount = 0;
    for (const q of queues) {
      const items = deduplicated(q.items.splice(0));
      for (const [, same] of byCredentials(items)) {
        q.send(same[0].creds, same).catch((err: unknown) => {
          for (const it of same) it.reject(err);
        });
      }
    }
  }

  /**
   * A create queue: one item goes as the single create it always was; several as one batch call
   * under a key of their own (batchKey), each item sent alone if Xero refuses the request whole.
   */
  function creates<I, R>(
    one: (creds: XeroCredentials, item: I, key: string) => Promise<R>,
    many: (creds: XeroCredentials, items: I[], key: string) => Promise<XeroItemResult<R>[]>,
    keyPrefix: string,
  ) {
    return queue<I, R>(async (creds, items) => {
      if (items.length === 1) return void (await settle(items[0], () => one(creds, items[0].item, items[0].key)));
      await sendBatch(
        items,
        () =>
          many(
            creds,
            items.map((i) => i.item),
            batchKey(keyPrefix, items),
          ),
        (it) => one(creds, it.item, it.key),
      );
    });
  }

  /**
   * A lookup queue by Reference: one item asks as it always did; several are asked in one
   * `Reference==… OR …` query and each gets back the rows that are its own (`mine`).
   */
  function lookups<I, R>(
    one: (creds: XeroCredentials, item: I) => Promise<R[]>,
    many: (creds: XeroCredentials, references: string[]) => Promise<R[]>,
    referenceOf: (item: I) => string,
    mine: (row: R, item: I) => boolean,
  ) {
    return queue<I, R[]>(async (creds, items) => {
      if (items.length === 1) return void (await settle(items[0], () => one(creds, items[0].item)));
      const found = await many(
        creds,
        items.map((i) => referenceOf(i.item)),
      );
      for (const it of items) it.resolve(found.filter((row) => mine(row, it.item)));
    });
  }

  const createPayment = creates<NewXeroPayment, XeroPayment>(
    (c, p, k) => base.createPayment(c, p, k),
    (c, ps, k) => base.createPayments(c, ps, k),
    'xendit-payments',
  );
  const createBankTransaction = creates<NewXeroBankTransaction, XeroBankTransaction>(
    (c, t, k) => base.createBankTransaction(c, t, k),
    (c, ts, k) => base.createBankTransactions(c, ts, k),
    'xendit-fees',
  );
  const findPayments = lookups<{ invoiceId: string; reference: string }, XeroPayment>(
    (c, it) => base.findPaymentsByReference(c, it.invoiceId, it.reference),
    (c, refs) => base.findPaymentsByReferences(c, refs),
    (it) => it.reference,
    (p, it) => p.reference === it.reference && p.invoiceId === it.invoiceId,
  );
  const findBankTransactions = lookups<string, XeroBankTransaction>(
    (c, reference) => base.findBankTransactionsByReference(c, reference),
    (c, refs) => base.findBankTransactionsByReferences(c, refs),
    (reference) => reference,
    (t, reference) => t.reference === reference,
  );

  async function sendBatch<I, R>(items: Queued<I, R>[], send: () => Promise<XeroItemResult<R>[]>, alone: (it: Queued<I, R>) => Promise<R>) {
    let results: XeroItemResult<R>[];
    try {
      results = await send();
    } catch (err) {
      if (!(err instanceof UpstreamError && err.kind === 'rejected')) throw err;
      opts.logger?.warn({ items: items.length, err: err.message }, 'xero refused a whole batch: sending its items one by one');
      for (const it of items) await settle(it, () => alone(it));
      return;
    }
    // An item Xero answered with its ValidationErrors (or ERROR) was not made, as a 400 of its own says.
    results.forEach((r, i) => (r.ok ? items[i].resolve(r.value) : items[i].reject(new XeroValidationRefusal(r.message))));
  }

  const statements = new Map<string, (creds: XeroCredentials, item: unknown, key: string) => Promise<unknown>>();
  function together<I, R>(name: string, item: I, runAll: (items: I[]) => Promise<R[]>): Promise<R> {
    let q = statements.get(name);
    if (!q) {
      q = queue<unknown, unknown>(async (_creds, items) => {
        const results = await runAll(items.map((i) => i.item as I));
        items.forEach((it, i) => it.resolve(results[i]));
      });
      statements.set(name, q);
    }
    return q(NO_CREDENTIALS, item, name) as Promise<R>;
  }

  const memo = new Map<string, Promise<unknown>>();
  function remembered<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      memo.set(key, p);
      p.catch(() => memo.delete(key));
    }
    return p;
  }

  // Reads every job of the group makes first on a cold cache (the clearing account's currency, the
  // organisation's time zone): one call in flight serves them all, instead of one per job.
  const inFlight = new Map<string, Promise<unknown>>();
  function shared<T>(name: string, creds: XeroCredentials, fn: () => Promise<T>): Promise<T> {
    const k = `${name}\n${creds.clientId}\n${creds.tenantId}`;
    let p = inFlight.get(k) as Promise<T> | undefined;
    if (!p) {
      p = fn().finally(() => inFlight.delete(k));
      inFlight.set(k, p);
    }
    return p;
  }

  return {
    member() {
      active++;
      let left = false;
      let held = false;
      const take = async () => {
        await slots.acquire();
        held = true;
      };
      const give = () => {
        if (held) slots.release();
        held = false;
      };
      /** Waiting on the batch, the job holds no slot. */
      const parked = async <T>(fn: () => Promise<T>): Promise<T> => {
        give();
        try {
          return await fn();
        } finally {
          await take();
        }
      };
      const xero: XeroGateway = {
        ...base,
        createPayment: (creds, payment, key) => parked(() => createPayment(creds, payment, key)),
        createBankTransaction: (creds, txn, key) => parked(() => createBankTransaction(creds, txn, key)),
        findPaymentsByReference: (creds, invoiceId, reference) => parked(() => findPayments(creds, { invoiceId, reference }, reference)),
        findBankTransactionsByReference: (creds, reference) => parked(() => findBankTransactions(creds, reference, reference)),
        getOrganisation: (creds) => shared('organisation', creds, () => base.getOrganisation(creds)),
        listBankAccounts: (creds) => shared('bank-accounts', creds, () => base.listBankAccounts(creds)),
      };
      return {
        xero,
        upstream: (fn) =>
          parked(async () => {
            await upstreamCalls.acquire();
            try {
              return await fn();
            } finally {
              upstreamCalls.release();
            }
          }),
        together: (name, item, runAll) => parked(() => together(name, item, runAll)),
        remembered,
        start: take,
        leave() {
          give();
          if (left) return;
          left = true;
          active--;
          check();
        },
      };
    },
  };
}

function semaphore(n: number) {
  let free = Math.max(1, n);
  const waiting: (() => void)[] = [];
  return {
    async acquire(): Promise<void> {
      if (free > 0) {
        free--;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    release(): void {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}

async function settle<R>(it: { resolve: (r: R) => void; reject: (e: unknown) => void }, fn: () => Promise<R>): Promise<void> {
  try {
    it.resolve(await fn());
  } catch (err) {
    it.reject(err);
  }
}

/**
 * Copies of one item (the same job replayed while it runs: same key, same body) go to Xero once and
 * share its answer. Sent apart, Xero's Idempotency-Key would replay one answer to all of them; in
 * one request it would not, and each copy would be created.
 */
function deduplicated<T extends { key: string; item: unknown; resolve: (r: never) => void; reject: (e: unknown) => void }>(items: T[]): T[] {
  const byKey = new Map<string, T[]>();
  for (const it of items) {
    const k = `${it.key}\n${JSON.stringify(it.item)}`;
    const copies = byKey.get(k);
    if (copies) copies.push(it);
    else byKey.set(k, [it]);
  }
  return [...byKey.values()].map((copies) =>
    copies.length === 1
      ? copies[0]
      : {
          ...copies[0],
          resolve: (r: never) => copies.forEach((c) => c.resolve(r)),
          reject: (e: unknown) => copies.forEach((c) => c.reject(e)),
        },
  );
}

function byCredentials<T extends { creds: XeroCredentials }>(items: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const it of items) {
    const k = `${it.creds.clientId}\n${it.creds.tenantId}`;
    const group = groups.get(k);
    if (group) group.push(it);
    else groups.set(k, [it]);
  }
  return groups;
}

/** The batch's own key, from its items' keys: the same items again get the same key (and, with the body hash, Xero replays). */
function batchKey(prefix: string, items: { key: string }[]): string {
  const digest = createHash('sha256')
    .update(items.map((i) => i.key).join('\n'))
    .digest('hex')
    .slice(0, 32);
  return `${prefix}-${items.length}-${digest}`;
}
