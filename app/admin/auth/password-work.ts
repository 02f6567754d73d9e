import { PasswordWorkBusy } from '../../errors.js';
import { hashPassword, verifyPassword } from './passwords.js';

/** What makes and checks password hashes (passwords.ts: scrypt); tests pass one whose checks end when they say. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string | undefined): Promise<boolean>;
}

export interface PasswordWork extends PasswordHasher {
  /** Every slot and queue place is taken: a hash or check asked for now would be refused. */
  full(): boolean;
}

/**
 * Each scrypt takes 32 MiB and about 0.1 s of one of libuv's 4 threads, the pool DNS lookups share
 * (every Xero and Xendit call starts with one): 2 at a time leaves them the other two, whatever
 * number of sign-ins arrive.
 */
export const PASSWORD_WORK_AT_ONCE = 2;
/** Waiting behind them: about 1.6 s of work at most, so a sign-in in the queue is still answered quickly. */
export const PASSWORD_WORK_QUEUED = 32;
/** Retry-After for a sign-in refused because the queue is full: the queue drains in about two seconds. */
export const PASSWORD_BUSY_RETRY_SECONDS = 5;

/**
 * The process's password hashing under a cap: `atOnce` run, `queued` more wait their turn in order,
 * and any beyond are refused at once with PasswordWorkBusy (429). One per process, made by createApp.
 */
export function createPasswordWork(
  hasher: PasswordHasher = { hash: hashPassword, verify: verifyPassword },
  limits: { atOnce: number; queued: number } = { atOnce: PASSWORD_WORK_AT_ONCE, queued: PASSWORD_WORK_QUEUED },
): PasswordWork {
  let running = 0;
  const waiting: (() => void)[] = [];

  async function run<T>(work: () => Promise<T>): Promise<T> {
    if (running >= limits.atOnce) {
      if (waiting.length >= limits.queued) throw new PasswordWorkBusy(PASSWORD_BUSY_RETRY_SECONDS);
      // The slot is handed over by the one that frees it (below), so `running` never drops in between.
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running++;
    }
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  }

  return {
    hash: (password) => run(() => hasher.hash(password)),
    verify: (password, stored) => run(() => hasher.verify(password, stored)),
    full: () => running >= limits.atOnce && waiting.length >= limits.queued,
  };
}
