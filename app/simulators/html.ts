/**
 * The tiny HTML helpers the simulators' pages use (Xero's overview and consent page, Xendit's
 * checkout and dashboard): escaping, the page shell under a strict CSP, and one stylesheet.
 */
import type { Response } from 'express';

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
