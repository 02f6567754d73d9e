import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LANGS, LOCALES_DIR, PAY_LANGS, loadCatalogues } from '../../app/i18n/index.js';

const root = join(import.meta.dirname, '../..');

/** Every key of a catalogue, nested objects joined with "." (i18next's key separator); arrays are one key. */
function flatten(obj: Record<string, unknown>, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(obj)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [kk, vv] of flatten(v as Record<string, unknown>, `${prefix}${k}.`)) out.set(kk, vv);
    else out.set(prefix + k, v);
  }
  return out;
}

function sources(dir: string): { path: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|ejs)$/.test(name) ? [{ path, text: readFileSync(path, 'utf8') }] : [];
  });
}

/** The {name} parameters a text names. */
const params = (v: unknown) => [...new Set([...JSON.stringify(v).matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

const catalogues = loadCatalogues();
const keys = (lang: string) => new Map(Object.entries(catalogues[lang]).map(([ns, entries]) => [ns, flatten(entries as Record<string, unknown>)]));
const en = keys('en');
const code = [...sources(join(root, 'app')), ...sources(join(root, 'views'))];
const all = code.map((f) => f.text).join('\n');

/**
 * Keys built at run time, so no source names them whole. Each says where it is built.
 * (Prefixes written as 'prefix_' + x or `prefix_${x}` are found by themselves, see below.)
 */
const DYNAMIC: { ns: string; key: RegExp; where: string }[] = [
  { ns: 'pay', key: /^[a-zA-Z]+(Title|Body)$/, where: 'app/error-handler.ts: `${messageKey}Title` / `${messageKey}Body`, one pair per MessageKey' },
  { ns: 'adminPages', key: /^\w+\.(title|body)$/, where: 'app/error-handler.ts: `adminPages:${messageKey}.title` / `.body`' },
];

/** 'row_' + status, `status_${x}`, 'errors:permission_' + p: the part before the run-time value. */
const prefixes = new Set([...all.matchAll(/['"`]((?:\w+:)?[A-Za-z]+_)(?:['"]\s*\+|\$\{)/g)].map((m) => m[1]));

/** How a bound t names a key without its namespace: a('key'  t('key'  g('key'  (views and controllers). */
const BOUND: Record<string, string> = { a: 'admin', t: 'pay', g: 'golive' };

describe('locales (i18next catalogues)', () => {
  it('has every key in every language, none empty, with the same parameters', () => {
    for (const lang of LANGS) {
      const other = keys(lang);
      assert.deepEqual([...other.keys()].sort(), [...en.keys()].sort(), `${lang}: the same areas (namespaces) as en`);
      for (const [ns, entries] of en) {
        for (const [key, value] of entries) {
          const translated = other.get(ns)!.get(key);
          assert.ok(translated !== undefined, `${lang}/${ns}.json has no ${key}`);
          assert.ok(String(translated).trim(), `${lang}/${ns}.json: ${key} is empty`);
          assert.deepEqual(params(translated), params(value), `${lang}/${ns}.json: ${key} names other parameters than en`);
        }
        for (const key of other.get(ns)!.keys()) assert.ok(entries.has(key), `${lang}/${ns}.json has ${key}, en does not`);
      }
    }
    assert.deepEqual(readdirSync(LOCALES_DIR).sort(), [...PAY_LANGS].sort(), 'one folder per language');
  });

  it("writes parameters as {name}, never i18next's default {{name}} (with our prefix it would be printed as typed)", () => {
    for (const [lang, namespaces] of Object.entries(catalogues)) {
      for (const [ns, entries] of Object.entries(namespaces as Record<string, Record<string, unknown>>)) {
        for (const [key, value] of flatten(entries)) assert.doesNotMatch(JSON.stringify(value), /\{\{/, `${lang}/${ns}.json: ${key}`);
      }
    }
  });

  it('has the customer pages (pay) in every customer language, key for key, and only those', () => {
    const pay = en.get('pay')!;
    for (const lang of PAY_LANGS.filter((l) => !(LANGS as string[]).includes(l))) {
      const other = keys(lang);
      assert.deepEqual([...other.keys()], ['pay'], `${lang}: only the customer pages`);
      assert.deepEqual([...other.get('pay')!.keys()].sort(), [...pay.keys()].sort(), `${lang}/pay.json: the same keys as en`);
      for (const [key, value] of other.get('pay')!) {
        assert.ok(String(value).trim(), `${lang}/pay.json: ${key} is empty`);
        assert.deepEqual(params(value), params(pay.get(key)), `${lang}/pay.json: ${key} names other parameters than en`);
      }
    }
  });

  it('has no key that no code or view uses', () => {
    const unused: string[] = [];
    for (const [ns, entries] of en) {
      for (const key of entries.keys()) {
        const used =
          all.includes(`'${ns}:${key}'`) ||
          all.includes(`"${ns}:${key}"`) ||
          all.includes(`('${key}'`) ||
          all.includes(`'${key}'`) ||
          DYNAMIC.some((d) => d.ns === ns && d.key.test(key)) ||
          [...prefixes].some((p) => (p.includes(':') ? `${ns}:${key}` : key).startsWith(p));
        if (!used) unused.push(`${ns}:${key}`);
      }
    }
    assert.deepEqual(unused, [], 'keys in the catalogues that nothing uses (remove them, or list how they are built in DYNAMIC)');
  });

  it('has every key that code and views use', () => {
    const missing: string[] = [];
    const has = (ns: string, key: string) => en.get(ns)?.has(key) || (en.get(ns)?.get(key.split('.')[0]) !== undefined && !key.includes('.'));
    for (const { path, text } of code) {
      for (const m of text.matchAll(/['"`](\w+):([A-Za-z][\w.]*)['"`]/g)) {
        if (en.has(m[1]) && !has(m[1], m[2])) missing.push(`${path}: ${m[1]}:${m[2]}`);
      }
      if (!path.endsWith('.ejs') && !/controller|error-handler|home/.test(path)) continue;
      for (const m of text.matchAll(/(?<![\w.])([atg])\(\s*['"]([A-Za-z]\w*)['"](?!\s*\+)/g)) {
        if (!has(BOUND[m[1]], m[2])) missing.push(`${path}: ${m[1]}('${m[2]}') (${BOUND[m[1]]})`);
      }
    }
    assert.deepEqual(missing, [], 'keys used in code or views that no catalogue has');
  });
});
