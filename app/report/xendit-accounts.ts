/**
 * The Xendit accounts one report reads. The clearing account holds what the gateway booked from
 * every stored key (the scheduled listings read each: store/merchant-model.ts listingKeys), so the
 * report reads each of those keys whose money this merchant's books take (mayRecordInXero: a live
 * key always, a test key only into an organisation marked as a test company), never the others:
 * test money kept out of real books is not held against them. Each listing is read once per key
 * with the bounds one key had, and a lookup by id asks the keys one after the other until one finds
 * it, so a merchant with both keys read costs at most twice the Xendit calls of one.
 */
import { UpstreamError } from '../clients/types.js';
import { listingKeys, mayRecordInXero, xenditKeyHint, type Merchant, type XenditMode } from '../store/merchant-model.js';
import type { FeeTaxLookup, XenditInvoice } from '../clients/xendit/types.js';
import { incompleteRow, type ReportRow } from './rows.js';

export interface ReportKey {
  mode: XenditMode;
  key: string;
  /** Its last 4 characters, to name it to people. */
  hint: string;
}

/** The stored keys whose money the merchant's books hold, the key in use first. */
export function reportKeys(merchant: Pick<Merchant, 'xenditSecretKey' | 'xenditKeys' | 'mode' | 'xeroTestOrganisation'>): ReportKey[] {
  return listingKeys(merchant)
    .filter((k) => mayRecordInXero({ xenditSecretKey: k.key, xeroTestOrganisation: merchant.xeroTestOrganisation }))
    .map((k) => ({ ...k, hint: xenditKeyHint(k.key) }));
}

/** Found with `key`, or not found by any key that answered; `refused`: the keys Xendit refused, whose accounts may hold it. */
export type Found<T> = { value: T; key: ReportKey } | { value: null; refused: ReportKey[] };

export interface XenditAccounts {
  readonly keys: readonly ReportKey[];
  /** `read` with one key; null when Xendit refuses it (noted, as below). */
  one<T>(key: ReportKey, what: string, read: () => Promise<T>): Promise<{ value: T } | null>;
  /** `read` with each key in turn; a key Xendit refuses (401 revoked, 403 without the permission) is noted and left out. */
  each<T>(what: string, read: (key: ReportKey) => Promise<T>): Promise<{ key: ReportKey; value: T }[]>;
  /** The first key whose account has it: one call per key at most. */
  find<T>(what: string, read: (key: string) => Promise<T | null>): Promise<Found<T>>;
  /** Remembers which account holds a Xendit id the report met (an invoice, a refund, a withdrawal). */
  seen(id: string, key: ReportKey): void;
  keyOf(id: string): ReportKey | undefined;
  /** One incomplete row per key Xendit refused, naming what of its account was not read. */
  refusedRows(range: { to: string }): ReportRow[];
}

export function xenditAccounts(keys: readonly ReportKey[]): XenditAccounts {
  const where = new Map<string, ReportKey>();
  const refusals = new Map<ReportKey, { reason: string; what: Set<string> }>();
  // A key Xendit does not know (401) is refused on every call: not asked again in this report.
  const unknown = new Set<ReportKey>();
  const attempt = async <T>(key: ReportKey, what: string, read: () => Promise<T>): Promise<{ value: T } | null> => {
    const note = (reason: string) => {
      const r = refusals.get(key) ?? refusals.set(key, { reason, what: new Set() }).get(key)!;
      r.what.add(what);
    };
    if (unknown.has(key)) {
      note(refusals.get(key)!.reason);
      return null;
    }
    try {
      return { value: await read() };
    } catch (err) {
      if (!(err instanceof UpstreamError && err.kind === 'unauthorized')) throw err;
      if (err.status === 401) unknown.add(key);
      note(err.message);
      return null;
    }
  };
  return {
    keys,
    one: (key, what, read) => attempt(key, what, read),
    async each<T>(what: string, read: (key: ReportKey) => Promise<T>) {
      const got: { key: ReportKey; value: T }[] = [];
      for (const key of keys) {
        const r = await attempt(key, what, () => read(key));
        if (r) got.push({ key, value: r.value });
      }
      return got;
    },
    async find(what, read) {
      const refused: ReportKey[] = [];
      for (const key of keys) {
        const r = await attempt(key, what, () => read(key.key));
        if (!r) refused.push(key);
        else if (r.value !== null) return { value: r.value, key };
      }
      return { value: null, refused };
    },
    seen: (id, key) => void where.set(id, key),
    keyOf: (id) => where.get(id),
    refusedRows: (range) =>
      [...refusals].map(([key, r]) => ({
        ...incompleteRow(
          range,
          `Xendit refused the ${key.mode} key ${key.hint} (${r.reason}): its account's ${[...r.what].join(', ')} were not read, so what it holds is not compared`,
        ),
        xenditMode: key.mode,
      })),
  };
}

/** Xendit's accounts did not have it, but one Xendit refused may: not missing, unknown. */
export function refusedByRow(row: ReportRow, refused: ReportKey[]): ReportRow {
  const keys = refused.map((k) => `the ${k.mode} key ${k.hint}`).join(' and ');
  return { ...row, status: 'incomplete', note: `${row.note}; Xendit refused ${keys}, whose account may hold it: not compared` };
}

/** The row with the mode of the account its Xendit side was read in, when there is one. */
export function inAccount(row: ReportRow, key: ReportKey | undefined): ReportRow {
  return key ? { ...row, xenditMode: key.mode } : row;
}

/** The payment transaction of a paid invoice (its fee, VAT and fee.status), read once per report (payment-transactions.ts); `refused`: Xendit refused the key of its account. */
export type TransactionOf = (inv: XenditInvoice) => Promise<FeeTaxLookup | { kind: 'refused'; key: ReportKey }>;
