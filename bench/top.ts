/**
 * Summarises a .cpuprofile (from node --cpu-prof): self time by package, and inclusive time of the
 * busiest functions (a function counted once per sample even when recursive).
 *   npx tsx bench/top.ts FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: tsx bench/top.ts FILE.cpuprofile [N]');
const limit = Number(process.argv[3] ?? 30);
const { nodes } = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[] };
const byId = new Map(nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const shortUrl = (url: string) => url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(app|bench|config)\//, '$1/');
const pkg = (url: string) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (/\/(app|config)\//.test(url)) return 'gateway (app/, config/)';
  if (url.startsWith('node:')) return 'node internals';
  if (url.startsWith('wasm:')) return 'wasm (PGlite)';
  return url ? 'other' : '(native / gc / idle)';
};
const key = (n: Node) => `${n.callFrame.functionName || '(anonymous)'}  ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const idle = nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((s, n) => s + (n.hitCount ?? 0), 0);
const busy = nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) - idle;
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const n of nodes) {
  const hits = n.hitCount ?? 0;
  if (!hits || n.callFrame.functionName === '(idle)') continue;
  const p = pkg(n.callFrame.url);
  self.set(p, (self.get(p) ?? 0) + hits);
  const seen = new Set<string>();
  for (let cur: Node | undefined = n; cur; cur = byId.get(parent.get(cur.id) ?? -1)) {
    const k = key(cur);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + hits);
  }
}
const pct = (h: number) => `${((100 * h) / busy).toFixed(1).padStart(5)}%`;
console.log(`busy samples ${busy} (idle ${idle}); self time by package:`);
for (const [p, h] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${pct(h)}  ${p}`);
console.log(`\ninclusive time, top ${limit}:`);
for (const [k, h] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, limit)) console.log(`${pct(h)}  ${k}`);
