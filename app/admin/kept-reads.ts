/**
 * Upstream reads an admin page makes on every load, kept a short while in this process's memory:
 * the dashboard's balances (payments/balances-cache.ts) and the Xero lists of the accounts and
 * settings pages (merchants/xero-lists.ts). A tab that refreshes itself, or a staff user reloading,
 * would otherwise spend the minute and the day of Xero calls the customers' pay clicks and the
 * owners' saves need. Not the database: a list a minute old is all it saves, nothing needs it after
 * a restart, and nothing read here is written where a dump would carry it. With several web
 * processes each reads at most once per keep, and the admin's share of the Xero budget
 * (XERO_ADMIN_PERCENT, _MINUTE_PERCENT) bounds them all together anyway.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';

interface Kept<T> {
  /** What the value was read for: a read for another version is never answered with it. */
  version: string;
  readAt: Date;
  value: Promise<T>;
}

/** A version from the values a read depends on (secrets among them: only their digest is kept). */
export function versionOf(values: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(values)).digest('base64url');
}

export function createKeptReads<T>(opts: { clock: Clock; keepMs: number; max?: number }) {
  const max = opts.max ?? 1000;
  const kept = new Map<string, Kept<T>>();
  return {
    /**
     * What `read` gave for `key` and `version` within keepMs, or read now. Loads at the same time
     * share one read; a read that fails is not kept.
     */
    async get(key: string, version: string, read: () => Promise<T>): Promise<{ value: T; readAt: Date }> {
      const now = opts.clock();
      const had = kept.get(key);
      if (had && had.version === version && now.getTime() - had.readAt.getTime() < opts.keepMs) return { value: await had.value, readAt: had.readAt };
      kept.delete(key);
      if (kept.size >= max) kept.delete(kept.keys().next().value!);
      const entry: Kept<T> = { version, readAt: now, value: read() };
      kept.set(key, entry);
      try {
        return { value: await entry.value, readAt: now };
      } catch (err) {
        if (kept.get(key) === entry) kept.delete(key);
        throw err;
      }
    },
    /** Forgets `key` and every key under it (`key:…`): a change this process made is shown at once. */
    forget(key: string): void {
      for (const k of [...kept.keys()]) if (k === key || k.startsWith(`${key}:`)) kept.delete(k);
    },
  };
}

export type KeptReads<T> = ReturnType<typeof createKeptReads<T>>;
