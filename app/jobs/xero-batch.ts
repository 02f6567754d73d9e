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
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { UpstreamError } from '../clients/types.js';
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

type Sender<I, R> = (creds: XeroCredentials, items: Queued<I, R>[]) => Promise<void>;

export interface JobGroup {
  /**
   * One job of the group: `start` before it runs (it may wait for a running slot), the gateway it
   * uses, and `leave` when it is done.
   */
  member(): { xero: XeroGateway; start(): Promise<void>; leave(): void };
}

/**
 * Jobs of a group that run at once outside Xero calls. A job waiting on the group's batch gives its
 * slot to the next, so the whole group still reaches one call, while the worker as a whole runs no
 * more jobs at a time than WORKER_CONCURRENCY says. (50 at once per group made a callback's insert
 * wait behind the worker's queries: p99 585 ms in the bench; 4 at once, 118 ms.)
 */
export const RUNNING_PER_GROUP = 1;

export function createXeroBatch(base: XeroGateway, opts: { logger?: Logger; maxWaitMs?: number; running?: number } = {}): JobGroup {
  const maxWaitMs = opts.maxWaitMs ?? 5000;
  const slots = semaphore(opts.running ?? RUNNING_PER_GROUP);
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

  const createPayment = queue<NewXeroPayment, XeroPayment>(async (creds, items) => {
    if (items.length === 1) return void (await settle(items[0], () => base.createPayment(creds, items[0].item, items[0].key)));
    await sendBatch(
      items,
      () =>
        base.createPayments(
          creds,
          items.map((i) => i.item),
          batchKey('xendit-payments', items),
        ),
      (it) => base.createPayment(creds, it.item, it.key),
    );
  });

  const createBankTransaction = queue<NewXeroBankTransaction, XeroBankTransaction>(async (creds, items) => {
    if (items.length === 1) return void (await settle(items[0], () => base.createBankTransaction(creds, items[0].item, items[0].key)));
    await sendBatch(
      items,
      () =>
        base.createBankTransactions(
          creds,
          items.map((i) => i.item),
          batchKey('xendit-fees', items),
        ),
      (it) => base.createBankTransaction(creds, it.item, it.key),
    );
  });

  const findPayments = queue<{ invoiceId: string; reference: string }, XeroPayment[]>(async (creds, items) => {
    if (items.length === 1) {
      const { invoiceId, reference } = items[0].item;
      return void (await settle(items[0], () => base.findPaymentsByReference(creds, invoiceId, reference)));
    }
    const found = await base.findPaymentsByReferences(
      creds,
      items.map((i) => i.item.reference),
    );
    for (const it of items) it.resolve(found.filter((p) => p.reference === it.item.reference && p.invoiceId === it.item.invoiceId));
  });

  const findBankTransactions = queue<string, XeroBankTransaction[]>(async (creds, items) => {
    if (items.length === 1) return void (await settle(items[0], () => base.findBankTransactionsByReference(creds, items[0].item)));
    const found = await base.findBankTransactionsByReferences(
      creds,
      items.map((i) => i.item),
    );
    for (const it of items) it.resolve(found.filter((t) => t.reference === it.item));
  });

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
    results.forEach((r, i) => (r.ok ? items[i].resolve(r.value) : items[i].reject(new UpstreamError('xero', 'rejected', r.message, 400))));
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
    byKey.set(k, [...(byKey.get(k) ?? []), it]);
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
    groups.set(k, [...(groups.get(k) ?? []), it]);
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
