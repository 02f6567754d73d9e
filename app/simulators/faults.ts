/**
 * Fault injection shared by the Xero and Xendit simulators (failNext, hang, gate, dropResponseAfterSave,
 * resetConnection, applyLate, beforeRequest).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Limits a fault to requests with this method and/or a path (relative to the mount) starting with this prefix. */
export interface FaultScope {
  method?: string;
  path?: string;
}

type Rule =
  | { kind: 'fail'; remaining: number; scope: FaultScope; status: number; retryAfter?: number; body?: unknown }
  | { kind: 'hang'; remaining: number; scope: FaultScope; ms: number | 'forever' }
  | { kind: 'drop'; remaining: number; scope: FaultScope }
  | { kind: 'reset'; remaining: number; scope: FaultScope };

export interface FaultsOptions {
  /** Unscoped faults only hit these requests (the API routes, not token or HTML pages). */
  isApi: (req: Request) => boolean;
  /** The body the upstream sends with an error status. */
  errorBody: (status: number) => unknown;
  /** The headers of a 429 that says to wait `seconds`: the upstream's own (default Retry-After, as Xero sends it). */
  rateLimitHeaders?: (req: Request, seconds: number) => Record<string, string>;
  /** The simulator's clock, which applyLate counts on (default the wall clock). */
  now?: () => Date;
}

/** Writes held back by Faults.applyLate. */
export interface LateWrites {
  /** Writes cut off unanswered and not carried out yet. */
  readonly held: number;
}

interface LateRule {
  remaining: number;
  scope: FaultScope;
  afterMs: number;
  held: number;
}

interface Held {
  res: Response;
  timer?: NodeJS.Timeout;
}

/** Requests parked at the upstream until the test lets them through (see Faults.gate). */
export interface FaultGate {
  /** Requests parked now (a parked request whose client hung up no longer counts). */
  readonly parked: number;
  /** Resolves once `n` requests are parked at the same time: a test waits on this, not on a clock. */
  untilParked(n: number): Promise<void>;
  /** Lets every parked request through and stops parking new ones. */
  open(): void;
}

interface GateState {
  scope: FaultScope;
  open: boolean;
  parked: Set<{ res: Response; next: NextFunction }>;
  waiters: { n: number; resolve: () => void }[];
}

export class Faults {
  private rules: Rule[] = [];
  private readonly held = new Set<Held>();
  private gates: GateState[] = [];
  private lateRules: LateRule[] = [];
  private parkedLate: { due: number; rule: LateRule; next: NextFunction }[] = [];
  private hooks: { remaining: number; scope: FaultScope; run: () => unknown }[] = [];

  constructor(private readonly options: FaultsOptions) {}

  /**
   * The next n matching requests answer `status`. A 429 also says when to try again, `retryAfter`
   * seconds (default 60), in the upstream's headers (rateLimitHeaders); another status only with it.
   * `body` replaces the upstream's usual error body (errorBody): an error code the gateway must not
   * trust to mean more than its status where the upstream never documents it there.
   */
  failNext(n: number, status: number, opts: FaultScope & { retryAfter?: number; body?: unknown } = {}): void {
    const { retryAfter, body, ...scope } = opts;
    this.rules.push({ kind: 'fail', remaining: n, scope, status, retryAfter, body });
  }

  /** The next `times` matching requests wait `duration` ms before being handled, or never answer. */
  hang(duration: number | 'forever', opts: FaultScope & { times?: number } = {}): void {
    const { times = 1, ...scope } = opts;
    this.rules.push({ kind: 'hang', remaining: times, scope, ms: duration });
  }

  /**
   * Every matching request waits, unanswered, until the gate is opened: so a test can see how many
   * calls are at the upstream at once without racing a timer (a machine under load is slow to send them).
   */
  gate(opts: FaultScope = {}): FaultGate {
    const g: GateState = { scope: opts, open: false, parked: new Set(), waiters: [] };
    this.gates.push(g);
    return {
      get parked() {
        return g.parked.size;
      },
      untilParked: (n) => (g.parked.size >= n ? Promise.resolve() : new Promise<void>((resolve) => g.waiters.push({ n, resolve }))),
      open: () => {
        g.open = true;
        this.gates = this.gates.filter((x) => x !== g);
        const parked = [...g.parked];
        g.parked.clear();
        for (const p of parked) p.next();
      },
    };
  }

  /** The next n matching writes are performed, then the socket is destroyed instead of answering. */
  dropResponseAfterSave(n = 1, opts: FaultScope = {}): void {
    this.rules.push({ kind: 'drop', remaining: n, scope: opts });
  }

  /** The next n matching requests have their connection reset before anything is done (stale keep-alive socket). */
  resetConnection(n = 1, opts: FaultScope = {}): void {
    this.rules.push({ kind: 'reset', remaining: n, scope: opts });
  }

  /**
   * The next n matching writes are cut off unanswered (their connection closed, which the caller
   * sees as it sees its own timeout) and carried out `afterMs` later on the simulator's clock, by
   * the first request to reach the simulator from then on: an upstream still running a request
   * its caller gave up on, whose result nothing can read before it is done. That a write timed out
   * on the caller's side may complete on the upstream's is certain; how long it may take is not
   * documented (Xero: developer.xero.com idempotency guide keeps keys 6 minutes, and says no more).
   * A repeat of it meanwhile, same Idempotency-Key or not, is a new request: the key's answer is
   * only kept once there is one (idempotency.ts), and neither vendor documents anything else.
   */
  applyLate(n: number, opts: FaultScope & { afterMs: number }): LateWrites {
    const { afterMs, ...scope } = opts;
    const rule: LateRule = { remaining: n, scope, afterMs, held: 0 };
    this.lateRules.push(rule);
    return {
      get held() {
        return rule.held;
      },
    };
  }

  /**
   * Holds back the writes applyLate armed. Mount after the body is read and the caller is
   * authenticated, and before the routes (and before Xero's Idempotency-Key, whose answer is kept
   * when the write is made), so that a held write resumes exactly where it stopped.
   */
  lateWrites(): RequestHandler {
    return (req, res, next) => {
      const rule = req.method === 'GET' ? undefined : this.lateRules.find((r) => r.remaining > 0 && this.matches(r.scope, req));
      if (!rule) return next();
      rule.remaining -= 1;
      rule.held += 1;
      this.lateRules = this.lateRules.filter((r) => r.remaining > 0 || r.held > 0);
      this.parkedLate.push({ due: this.clock().getTime() + rule.afterMs, rule, next });
      res.socket?.destroy();
    };
  }

  /** The held writes whose time has come, made in the order they are due (then arrived). */
  private applyDue(): void {
    const at = this.clock().getTime();
    const due = this.parkedLate.filter((p) => p.due <= at).sort((a, b) => a.due - b.due);
    if (!due.length) return;
    this.parkedLate = this.parkedLate.filter((p) => p.due > at);
    for (const p of due) {
      p.rule.held -= 1;
      p.next();
    }
  }

  private clock(): Date {
    return this.options.now?.() ?? new Date();
  }

  /**
   * The `n`th matching request from now waits for `run` (a test API change) before it is handled:
   * what changes at the upstream between two calls, e.g. a row updated after page 1 of a listing
   * was served and before page 2 is read. A test arms it instead of racing the caller.
   */
  beforeRequest(n: number, run: () => unknown, opts: FaultScope = {}): void {
    this.hooks.push({ remaining: n, scope: opts, run });
  }

  /** Removes every armed fault and cuts off requests that are still being held. */
  reset(): void {
    this.rules = [];
    this.hooks = [];
    this.lateRules = [];
    this.parkedLate = [];
    for (const h of this.held) {
      clearTimeout(h.timer);
      h.res.socket?.destroy();
    }
    this.held.clear();
    for (const g of this.gates) for (const p of g.parked) p.res.socket?.destroy();
    this.gates = [];
  }

  /** Faults armed and not yet used up. */
  get armed(): number {
    const count = (list: { remaining: number }[]) => list.reduce((sum, r) => sum + r.remaining, 0);
    return count(this.rules) + count(this.lateRules) + count(this.hooks);
  }

  /** Applies failNext and hang, and makes the held writes (applyLate) that are due. Mount before the routes. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      this.applyDue();
      const due = this.hooks.filter((h) => this.matches(h.scope, req) && --h.remaining === 0);
      if (!due.length) return this.apply(req, res, next);
      this.hooks = this.hooks.filter((h) => h.remaining > 0);
      Promise.all(due.map((h) => h.run())).then(() => this.apply(req, res, next), next);
    };
  }

  private apply(req: Request, res: Response, next: NextFunction): void {
    if (this.take('reset', req)) return void req.socket.destroy();
    const fail = this.take('fail', req);
    if (fail) return this.sendFailure(req, res, fail.status, fail.retryAfter, fail.body);
    const hang = this.take('hang', req);
    if (hang) return this.hold(res, hang.ms, next);
    const gate = this.gates.find((g) => !g.open && this.matches(g.scope, req));
    if (gate) return this.park(gate, res, next);
    next();
  }

  /** Call after a write was saved: true when the response must not be sent (socket already destroyed). */
  dropIfArmed(req: Request, res: Response): boolean {
    if (!this.take('drop', req)) return false;
    res.socket?.destroy();
    return true;
  }

  private take<K extends Rule['kind']>(kind: K, req: Request): Extract<Rule, { kind: K }> | undefined {
    const rule = this.rules.find((r) => r.kind === kind && r.remaining > 0 && this.matches(r.scope, req));
    if (!rule) return undefined;
    rule.remaining -= 1;
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return rule as Extract<Rule, { kind: K }>;
  }

  private matches(scope: FaultScope, req: Request): boolean {
    if (!scope.method && !scope.path) return this.options.isApi(req);
    if (scope.method && scope.method.toUpperCase() !== req.method) return false;
    return !scope.path || req.path.startsWith(scope.path);
  }

  private sendFailure(req: Request, res: Response, status: number, retryAfter?: number, body?: unknown): void {
    const seconds = retryAfter ?? 60;
    if (status === 429) res.set(this.options.rateLimitHeaders?.(req, seconds) ?? { 'Retry-After': String(seconds) });
    else if (retryAfter !== undefined) res.set('Retry-After', String(seconds));
    res.status(status).json(body ?? this.options.errorBody(status));
  }

  private park(g: GateState, res: Response, next: NextFunction): void {
    const entry = { res, next };
    g.parked.add(entry);
    res.on('close', () => g.parked.delete(entry));
    const ready = g.waiters.filter((w) => g.parked.size >= w.n);
    g.waiters = g.waiters.filter((w) => g.parked.size < w.n);
    for (const w of ready) w.resolve();
  }

  // A delayed request is still handled after the delay even if the client gave up meanwhile,
  // like a slow upstream that commits a write the caller never hears about.
  private hold(res: Response, ms: number | 'forever', next: NextFunction): void {
    const entry: Held = { res };
    this.held.add(entry);
    if (ms === 'forever') {
      res.on('close', () => this.held.delete(entry));
      return;
    }
    entry.timer = setTimeout(() => {
      this.held.delete(entry);
      next();
    }, ms);
  }
}
