import { crashHook, type CrashHook, type CrashPoint } from '../../app/jobs/sync/crash-points.js';
import type { Stores } from '../../app/store/index.js';

/** What the in-process stand-in for a SIGKILL throws. */
export class Crashed extends Error {}

/**
 * An in-process stand-in for a worker killed (SIGKILL) the `nth` time a run reaches `point`: the
 * hook throws there, and from then on every call on the returned stores throws too. A listing that
 * catches the error and goes on to its next account or currency then writes nothing more, as a
 * dead process would not; what was committed before the point stays, as it would.
 */
export function dieAt(stores: Stores, point: CrashPoint, nth = 1): { crash: CrashHook; stores: Stores; died: () => boolean } {
  let hits = 0;
  let dead = false;
  const crash = crashHook(point, () => {
    if (++hits < nth) return;
    dead = true;
    throw new Crashed(`killed at ${point} (${nth})`);
  });
  const wrapped = beforeEachCall(stores, () => {
    if (dead) throw new Crashed('the process is dead');
  });
  return { crash, stores: wrapped, died: () => dead };
}

/**
 * The same for code without crash points (the web process): killed as it calls `store.method`,
 * before that call writes anything, and every store call after it throws too.
 */
export function dieOnCall<S extends keyof Stores>(stores: Stores, store: S, method: keyof Stores[S] & string): { stores: Stores; died: () => boolean } {
  let dead = false;
  const wrapped = beforeEachCall(stores, (name, called) => {
    if (dead) throw new Crashed('the process is dead');
    if (name !== store || called !== method) return;
    dead = true;
    throw new Crashed(`killed calling ${store}.${method}`);
  });
  return { stores: wrapped, died: () => dead };
}

/** The stores, with `before` run ahead of every method call on any of them. */
function beforeEachCall(stores: Stores, before: (store: string | symbol, method: string | symbol) => void): Stores {
  return new Proxy(stores, {
    get(target, name, receiver) {
      const store: unknown = Reflect.get(target, name, receiver);
      if (typeof store !== 'object' || store === null) return store;
      return new Proxy(store, {
        get(s, method, r) {
          const value: unknown = Reflect.get(s, method, r);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            before(name, method);
            return (value as (...a: unknown[]) => unknown).apply(s, args);
          };
        },
      });
    },
  });
}
