import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { User } from '../store/users.js';
import { Forbidden } from '../errors.js';

/**
 * Tiny server-side sessions: the cookie holds 32 random bytes, the database holds their sha-256,
 * the user and the CSRF token (synchronizer pattern). Anonymous sessions exist only to carry a
 * CSRF token for the login and setup forms: they have no row (anyone can open the login page, so
 * a row per visit would let anyone fill the table); their token is derived from the cookie's
 * bytes, which only that browser holds. Signing in always starts a new session with a row.
 */
export interface AdminSession {
  idHash: string;
  csrfToken: string;
  user: User | null;
  /** When the user last typed their password in this session (sign-in or step-up). */
  reauthAt?: Date | null;
}

export interface SessionDeps {
  stores: Stores;
  clock: Clock;
  publicUrl: string;
  production: boolean;
}

export const SIGNED_IN_TTL_MS = 12 * 60 * 60_000;

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
const token = () => randomBytes(32).toString('base64url');
const anonymous = (id: string): AdminSession => ({ idHash: sha256(id), csrfToken: sha256(`anonymous csrf\n${id}`), user: null, reauthAt: null });

export function sessionCookie(deps: Pick<SessionDeps, 'publicUrl' | 'production'>) {
  const https = deps.publicUrl.startsWith('https:');
  // __Host- makes the browser refuse the cookie unless it is Secure, host-only and Path=/.
  return {
    name: https ? '__Host-sid' : 'sid',
    options: { httpOnly: true, sameSite: 'lax' as const, secure: https || deps.production, path: '/' },
  };
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function currentSession(res: Response): AdminSession | null {
  return (res.locals.session as AdminSession | undefined) ?? null;
}

export function sessions(deps: SessionDeps) {
  const cookie = sessionCookie(deps);

  const start = async (res: Response, user: User): Promise<AdminSession> => {
    const id = token();
    const now = deps.clock();
    const session: AdminSession = { idHash: sha256(id), csrfToken: token(), user, reauthAt: now };
    await deps.stores.sessions.create(
      { idHash: session.idHash, userId: user.id, csrfToken: session.csrfToken, expiresAt: new Date(now.getTime() + SIGNED_IN_TTL_MS) },
      now,
    );
    res.cookie(cookie.name, id, cookie.options);
    res.locals.session = session;
    return session;
  };

  return {
    /** Loads the session named by the cookie, if it is live. */
    load: (async (req, res, next) => {
      const id = readCookie(req, cookie.name);
      if (id && /^[\w-]{43}$/.test(id)) {
        const row = await deps.stores.sessions.live(sha256(id), deps.clock());
        if (row) {
          const found = row.userId ? await deps.stores.users.byId(row.userId) : null;
          // A user disabled meanwhile is signed out (their sessions are deleted too; this covers a race).
          const user = found && !found.disabledAt ? found : null;
          res.locals.session = { idHash: row.idHash, csrfToken: row.csrfToken, user, reauthAt: row.reauthAt ?? null } satisfies AdminSession;
        } else {
          // No row (anonymous, or ended): the browser may still post the sign-in and setup forms.
          res.locals.session = anonymous(id);
        }
      }
      next();
    }) as RequestHandler,

    /** A session to carry the CSRF token of a form shown before signing in: a cookie, no row. */
    async ensure(res: Response): Promise<AdminSession> {
      const current = currentSession(res);
      if (current) return current;
      const id = token();
      res.cookie(cookie.name, id, cookie.options);
      res.locals.session = anonymous(id);
      return res.locals.session as AdminSession;
    },

    /** New session id on every sign-in, so a session fixed before login is worthless after it. */
    async signIn(res: Response, user: User): Promise<void> {
      const old = currentSession(res);
      if (old) await deps.stores.sessions.delete(old.idHash);
      await deps.stores.sessions.deleteExpired(deps.clock());
      await start(res, user);
    },

    async signOut(res: Response): Promise<void> {
      const old = currentSession(res);
      if (old) await deps.stores.sessions.delete(old.idHash);
      res.clearCookie(cookie.name, cookie.options);
      res.locals.session = undefined;
    },

    /** Every POST carries the session's token in the _csrf field. */
    verifyCsrf: ((req, res, next) => {
      const session = currentSession(res);
      const sent = typeof req.body?._csrf === 'string' ? Buffer.from(req.body._csrf) : Buffer.alloc(0);
      const expected = Buffer.from(session?.csrfToken ?? '');
      if (!session || sent.length !== expected.length || !timingSafeEqual(sent, expected)) throw new Forbidden('missing or wrong CSRF token');
      next();
    }) as RequestHandler,
  };
}

export type Sessions = ReturnType<typeof sessions>;
