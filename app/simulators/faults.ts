/**
 * Shared pieces of the Xero and Xendit simulators: fault injection (failNext, hang,
 * dropResponseAfterSave) and the tiny HTML helpers their pages use.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Limits a fault to requests with this method and/or a path (relative to the mount) starting with this prefix. */
export interface FaultScope {
  method?: string;
  path?: string;
}

type Rule =
  | { kind: 'fail'; remaining: number; scope: FaultScope; status: number; retryAfter?: number }
  | { kind: 'hang'; remaining: number; scope: FaultScope; ms: number | 'forever' }
  | { kind: 'drop'; remaining: number; scope: FaultScope }
  | { kind: 'reset'; remaining: number; scope: FaultScope };

export interface FaultsOptions {
  /** Unscoped faults only hit these requests (the API routes, not token or HTML pages). */
  isApi: (req: Request) => boolean;
  /** The body the upstream sends with an error status. */
  errorBody: (status: number) => unknown;
}

interface Held {
  res: Response;
  timer?: NodeJS.Timeout;
}

export class Faults {
  private rules: Rule[] = [];
  private readonly held = new Set<Held>();

  constructor(private readonly options: FaultsOptions) {}

  /** The next n matching requests answer `status` (429 also gets Retry-After, default 60 s). */
  failNext(n: number, status: number, opts: FaultScope & { retryAfter?: number } = {}): void {
    const { retryAfter, ...scope } = opts;
    this.rules.push({ kind: 'fail', remaining: n, scope, status, retryAfter });
  }

  /** The next `times` matching requests wait `duration` ms before being handled, or never answer. */
  hang(duration: number | 'forever', opts: FaultScope & { times?: number } = {}): void {
    const { times = 1, ...scope } = opts;
    this.rules.push({ kind: 'hang', remaining: times, scope, ms: duration });
  }

  /** The next n matching writes are performed, then the socket is destroyed instead of answering. */
  dropResponseAfterSave(n = 1, opts: FaultScope = {}): void {
    this.rules.push({ kind: 'drop', remaining: n, scope: opts });
  }

  /** The next n matching requests have their connection reset before anything is done (stale keep-alive socket). */
  resetConnection(n = 1, opts: FaultScope = {}): void {
    this.rules.push({ kind: 'reset', remaining: n, scope: opts });
  }

  /** Removes every armed fault and cuts off requests that are still being held. */
  reset(): void {
    this.rules = [];
    for (const h of this.held) {
      clearTimeout(h.timer);
      h.res.socket?.destroy();
    }
    this.held.clear();
  }

  /** Faults armed and not yet used up. */
  get armed(): number {
    return this.rules.reduce((sum, r) => sum + r.remaining, 0);
  }

  /** Applies failNext and hang. Mount before the routes. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      if (this.take('reset', req)) return void req.socket.destroy();
      const fail = this.take('fail', req);
      if (fail) return this.sendFailure(res, fail.status, fail.retryAfter);
      const hang = this.take('hang', req);
      if (hang) return this.hold(res, hang.ms, next);
      next();
    };
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

  private sendFailure(res: Response, status: number, retryAfter?: number): void {
    if (status === 429 || retryAfter !== undefined) res.set('Retry-After', String(retryAfter ?? 60));
    res.status(status).json(this.options.errorBody(status));
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

// ---------- HTML helpers for the simulators' pages ----------

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** No inline script or style anywhere, so the pages work under a strict CSP. */
export const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' http: https:; base-uri 'none'; frame-ancestors 'none'";

/** `body` must already be escaped HTML. */
export function renderPage(title: string, cssHref: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${escapeHtml(cssHref)}">
</head>
<body>
${body}
</body>
</html>
`;
}

export function sendPage(res: Response, status: number, html: string): void {
  res.status(status).set({ 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-store' }).type('html').send(html);
}

export const SIM_CSS = `:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;--accent:#2f5bea;--muted:#667085;--line:#e4e7ec}
*{box-sizing:border-box}
body{margin:0;background:#f5f7fb;color:#101828;line-height:1.45}
main{max-width:60rem;margin:0 auto;padding:1rem}
.card{background:#fff;border:1px solid var(--line);border-radius:12px;padding:1.25rem;margin:1rem 0;box-shadow:0 1px 2px rgba(16,24,40,.05)}
.checkout{max-width:26rem}
h1{font-size:1.35rem;margin:.25rem 0 1rem}
h2{font-size:1.1rem;margin:1.25rem 0 .5rem}
.muted{color:var(--muted);font-size:.9rem}
.amount{font-size:2rem;font-weight:700;margin:.5rem 0}
.status{display:inline-block;padding:.1rem .5rem;border-radius:999px;background:#eef2ff;font-size:.8rem;font-weight:600}
.status-PAID,.status-SETTLED{background:#dcfce7}.status-EXPIRED,.status-VOIDED,.status-DELETED{background:#fee2e2}
table{width:100%;border-collapse:collapse;font-size:.9rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
form{display:block;margin:.75rem 0 0}
button{width:100%;font:inherit;font-weight:600;padding:.8rem 1rem;border-radius:10px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input,select{width:100%;font:inherit;padding:.55rem .7rem;border:1px solid var(--line);border-radius:8px;background:#fff}
form.stack button{margin-top:1rem}
.banner{background:#fff7e6;border:1px solid #fcd34d;border-radius:8px;padding:.5rem .75rem;font-size:.85rem}
`;
