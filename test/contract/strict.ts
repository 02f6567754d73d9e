/**
 * Strict readings of a JSON answer against the official SDKs' own models, so a simulator cannot
 * drift into a shape the real service never sends (issue 14, "Contract tests").
 *
 * Xero: xero-node's ObjectSerializer reads answers by each model's attributeTypeMap
 * (dist/gen/model/accounting/*.js); we walk the same maps, but strictly: a key the model does not
 * list, a JSON type other than the declared one, a date not in Xero's /Date(ms+zzzz)/ form or an
 * enum value the SDK's enum lacks is a problem. Xendit: xendit-node's models (…/models/*.d.ts and
 * their FromJSON functions) are read the same way: each interface's declared property types, the
 * JSON names its FromJSON reads, and the values of its enums.
 *
 * Fields a real service documents but the SDK's model lacks are accepted only when listed by the
 * caller (`extras`), each with its source, so every exception is deliberate and visible.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';

const require = createRequire(import.meta.url);

/**
 * A JSON type a documented extra field has: the SDK has no model for it, so we say what it is.
 * 'null' is for a field the SDK models: a null the docs allow where its type has none.
 */
export type ExtraType = 'string' | 'number' | 'boolean' | 'date' | 'object' | 'array' | 'null-or-string' | 'null';

/** By JSON path without indices (e.g. `Invoices.Payments.Date`, or `fee.status`): field → type. */
export type Extras = Record<string, ExtraType>;

function checkExtra(value: unknown, type: ExtraType, path: string, problems: string[]): void {
  const ok =
    type === 'string'
      ? typeof value === 'string'
      : type === 'null'
        ? value === null
        : type === 'null-or-string'
          ? value === null || typeof value === 'string'
          : type === 'number'
            ? typeof value === 'number'
            : type === 'boolean'
              ? typeof value === 'boolean'
              : type === 'date'
                ? typeof value === 'string' && ISO_DATE_TIME.test(value)
                : type === 'array'
                  ? Array.isArray(value)
                  : value !== null && typeof value === 'object' && !Array.isArray(value);
  if (!ok) problems.push(`${path}: ${JSON.stringify(value)} is not ${type} (documented extra)`);
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;

// ---------- Xero (xero-node 20 ObjectSerializer / attributeTypeMap) ----------

interface AttributeType {
  name: string;
  baseName: string;
  type: string;
}

const xeroSdk = require('xero-node') as Record<string, unknown>;
const XERO_NUMBERS = new Set(['number', 'double', 'integer', 'long', 'float']);
/** Xero's JSON dates (x-is-msdate / x-is-msdate-time in xero_accounting.yaml): "/Date(1573755038314+0000)/". */
const MS_DATE = /^\/Date\(-?\d+([+-]\d{4})?\)\/$/;

function xeroModel(type: string): { getAttributeTypeMap(): AttributeType[] } | undefined {
  const m = xeroSdk[type] as { getAttributeTypeMap?: () => AttributeType[] } | undefined;
  return typeof m?.getAttributeTypeMap === 'function' ? (m as { getAttributeTypeMap(): AttributeType[] }) : undefined;
}

function xeroEnum(type: string): string[] | undefined {
  const [outer, inner] = type.split('.');
  const holder = xeroSdk[outer] as Record<string, unknown> | undefined;
  const e = (inner ? holder?.[inner] : holder) as Record<string, unknown> | undefined;
  if (!e || typeof e !== 'object' || (!inner && xeroModel(type))) return undefined;
  return Object.values(e).filter((v): v is string => typeof v === 'string');
}

/**
 * Problems found reading `json` as the xero-node model `type` (e.g. 'Invoices'). `extras` names keys
 * Xero sends that the model lacks, by dotted path of base names from the top (e.g. 'Id', 'Invoices.X').
 */
export function strictXero(json: unknown, type: string, extras: Extras = {}): string[] {
  const problems: string[] = [];
  walkXero(json, type, type, '', problems, extras);
  // And the SDK's own deserialiser must take it (it is what the gateway's client gets).
  try {
    (xeroSdk.ObjectSerializer as { deserialize(d: unknown, t: string): unknown }).deserialize(json, type);
  } catch (err) {
    problems.push(`${type}: ObjectSerializer.deserialize threw ${String(err)}`);
  }
  return problems;
}

function walkXero(value: unknown, type: string, path: string, extraPath: string, problems: string[], extras: Extras): void {
  if (value === null || value === undefined) return; // the SDK passes null through
  const at = path || type;
  if (type === 'string') {
    if (typeof value !== 'string') problems.push(`${at}: ${JSON.stringify(value)} is not a string`);
    return;
  }
  if (XERO_NUMBERS.has(type)) {
    if (typeof value !== 'number') problems.push(`${at}: ${JSON.stringify(value)} is not a number`);
    return;
  }
  if (type === 'boolean') {
    if (typeof value !== 'boolean') problems.push(`${at}: ${JSON.stringify(value)} is not a boolean`);
    return;
  }
  if (type === 'any') return;
  if (type === 'Date') {
    if (typeof value !== 'string' || !MS_DATE.test(value)) problems.push(`${at}: ${JSON.stringify(value)} is not a Xero date /Date(ms+zzzz)/`);
    return;
  }
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) return void problems.push(`${at}: not an array`);
    value.forEach((v, i) => walkXero(v, array[1], `${at}[${i}]`, extraPath, problems, extras));
    return;
  }
  const model = xeroModel(type);
  if (model) {
    if (typeof value !== 'object' || Array.isArray(value)) return void problems.push(`${at}: not an object (${type})`);
    const attrs = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a]));
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const attr = attrs.get(key);
      const keyPath = extraPath ? `${extraPath}.${key}` : key;
      if (!attr) {
        const extra = extras[keyPath];
        if (extra) checkExtra(v, extra, `${at}.${key}`, problems);
        else problems.push(`${at}.${key}: not in xero-node's ${type}`);
        continue;
      }
      walkXero(v, attr.type, `${at}.${key}`, keyPath, problems, extras);
    }
    return;
  }
  const values = xeroEnum(type);
  if (values) {
    if (typeof value !== 'string' || !values.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} is not in xero-node's ${type}`);
    return;
  }
  problems.push(`${at}: xero-node has no type ${type}`);
}

// ---------- Xendit (xendit-node 7 models) ----------

interface XenditProperty {
  json: string;
  type: ts.TypeNode;
  optional: boolean;
}

const xenditRoot = dirname(require.resolve('xendit-node/package.json'));
const modelCache = new Map<string, { props: XenditProperty[] } | { values: string[] } | undefined>();

/** `invoice`, `balance_and_transaction`, …: the SDK's product folders. */
export type XenditProduct = 'invoice' | 'balance_and_transaction';

/** The interface or enum `name`, declared in its own file or (enums like TransactionResponseCashflowEnum) in `host`'s. */
function xenditModel(product: XenditProduct, name: string, host?: string): { props: XenditProperty[] } | { values: string[] } | undefined {
  return loadXendit(product, name, name) ?? (host ? loadXendit(product, host, name) : undefined);
}

function loadXendit(product: XenditProduct, file: string, name: string): { props: XenditProperty[] } | { values: string[] } | undefined {
  const key = `${product}/${file}/${name}`;
  if (modelCache.has(key)) return modelCache.get(key);
  const base = join(xenditRoot, product, 'models', file);
  let found: { props: XenditProperty[] } | { values: string[] } | undefined;
  try {
    const dts = ts.createSourceFile(`${file}.d.ts`, readFileSync(`${base}.d.ts`, 'utf8'), ts.ScriptTarget.Latest, true);
    const js = readFileSync(`${base}.js`, 'utf8');
    for (const st of dts.statements) {
      if (ts.isInterfaceDeclaration(st) && st.name.text === name) {
        found = {
          props: st.members.filter(ts.isPropertySignature).map((p) => {
            const prop = (p.name as ts.Identifier).text;
            // The JSON name is the one the model's FromJSON reads: 'externalId': json['external_id'].
            const m = new RegExp(`'${prop}': [^\\n]*?json\\['([^']+)'\\]`).exec(js);
            return { json: m ? m[1] : prop, type: p.type!, optional: !!p.questionToken };
          }),
        };
      }
    }
    if (!found) {
      const runtime = (require(`${base}.js`) as Record<string, unknown>)[name];
      if (runtime && typeof runtime === 'object') found = { values: Object.values(runtime).filter((v): v is string => typeof v === 'string') };
    }
  } catch {
    found = undefined;
  }
  modelCache.set(key, found);
  return found;
}

/**
 * Where xendit-node's generator made an empty interface out of a oneOf (its FromJSON passes the value
 * through), the type the value must have: TransactionResponse.type is "the type of the transactions"
 * (docs/balance_and_transaction/TransactionResponseType.md), the TransactionTypes the list filters on.
 */
const UNTYPED_ONE_OF: Record<string, string> = { TransactionResponseType: 'TransactionTypes' };

/**
 * Problems found reading `json` as xendit-node's model `name` of `product` (e.g. invoice/Invoice).
 * Also runs the model's own FromJSON (it must not throw). `also` adds the properties of other models
 * of the same object (Invoice and InvoiceCallback describe one invoice); `extras` by dotted JSON path.
 */
export function strictXendit(json: unknown, product: XenditProduct, name: string, opts: { also?: string[]; extras?: Extras } = {}): string[] {
  const problems: string[] = [];
  walkXendit(json, product, name, name, '', problems, opts.extras ?? {}, opts.also ?? []);
  try {
    const fromJson = (require(join(xenditRoot, product, 'models', `${name}.js`)) as Record<string, (j: unknown) => unknown>)[`${name}FromJSON`];
    fromJson(json);
  } catch (err) {
    problems.push(`${name}: ${name}FromJSON threw ${String(err)}`);
  }
  return problems;
}

function walkXendit(
  value: unknown,
  product: XenditProduct,
  name: string,
  at: string,
  extraPath: string,
  problems: string[],
  extras: Extras,
  also: string[],
  host?: string,
): void {
  if (UNTYPED_ONE_OF[name]) return walkXendit(value, product, UNTYPED_ONE_OF[name], at, extraPath, problems, extras, also, host);
  const model = xenditModel(product, name, host);
  if (!model) return void problems.push(`${at}: xendit-node has no model ${product}/${name}`);
  if ('values' in model) {
    const real = model.values.filter((v) => v !== 'UNKNOWN_ENUM_VALUE');
    if (typeof value !== 'string' || !real.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} is not in xendit-node's ${name}`);
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return void problems.push(`${at}: not an object (${name})`);
  const props = new Map<string, XenditProperty>();
  for (const extra of [name, ...also].reverse()) {
    const m = xenditModel(product, extra);
    if (m && 'props' in m) for (const p of m.props) props.set(p.json, p);
  }
  const obj = value as Record<string, unknown>;
  for (const p of (model as { props: XenditProperty[] }).props) {
    if (!p.optional && !(p.json in obj)) problems.push(`${at}.${p.json}: required by xendit-node's ${name}, missing`);
  }
  for (const [key, v] of Object.entries(obj)) {
    const keyPath = extraPath ? `${extraPath}.${key}` : key;
    const p = props.get(key);
    if (!p) {
      const extra = extras[keyPath];
      if (extra) checkExtra(v, extra, `${at}.${key}`, problems);
      else problems.push(`${at}.${key}: not in xendit-node's ${[name, ...also].join(' / ')}`);
      continue;
    }
    checkXenditType(v, p.type, product, `${at}.${key}`, keyPath, problems, extras, p.optional, name);
  }
}

function checkXenditType(
  value: unknown,
  type: ts.TypeNode,
  product: XenditProduct,
  at: string,
  extraPath: string,
  problems: string[],
  extras: Extras,
  optional: boolean,
  host: string,
): void {
  if (value === undefined && optional) return;
  if (value === null && extras[extraPath] === 'null') return;
  if (ts.isUnionTypeNode(type)) {
    // string | null, Date | null, Array<X> | null: null is one of the members.
    const nullable = type.types.some((t) => ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword);
    if (value === null && nullable) return;
    const rest = type.types.filter((t) => !(ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword));
    if (rest.length === 1) return checkXenditType(value, rest[0], product, at, extraPath, problems, extras, false, host);
    return void problems.push(`${at}: union type ${type.getText()} not understood`);
  }
  switch (type.kind) {
    case ts.SyntaxKind.StringKeyword:
      if (typeof value !== 'string') problems.push(`${at}: ${JSON.stringify(value)} is not a string`);
      return;
    case ts.SyntaxKind.NumberKeyword:
      if (typeof value !== 'number') problems.push(`${at}: ${JSON.stringify(value)} is not a number`);
      return;
    case ts.SyntaxKind.BooleanKeyword:
      if (typeof value !== 'boolean') problems.push(`${at}: ${JSON.stringify(value)} is not a boolean`);
      return;
    case ts.SyntaxKind.ObjectKeyword:
    case ts.SyntaxKind.AnyKeyword:
      return;
  }
  if (ts.isTypeReferenceNode(type)) {
    const ref = type.typeName.getText();
    if (ref === 'Date') {
      // FromJSON does new Date(json[...]): Xendit sends ISO 8601 with Z (docs examples: "2020-01-13T02:32:49.827Z").
      if (typeof value !== 'string' || !ISO_DATE_TIME.test(value) || Number.isNaN(Date.parse(value)))
        problems.push(`${at}: ${JSON.stringify(value)} is not an ISO 8601 date`);
      return;
    }
    if (ref === 'Array' && type.typeArguments?.length === 1) {
      if (!Array.isArray(value)) return void problems.push(`${at}: not an array`);
      value.forEach((v, i) => checkXenditType(v, type.typeArguments![0], product, `${at}[${i}]`, extraPath, problems, extras, false, host));
      return;
    }
    return walkXendit(value, product, ref, at, extraPath, problems, extras, [], host);
  }
  if (ts.isTypeLiteralNode(type)) return; // { [key: string]: any }
  problems.push(`${at}: type ${type.getText()} not understood`);
}

/** The JSON names xendit-node's model `name` reads (its FromJSON), for checking what the gateway reads. */
export function xenditFieldsOf(product: XenditProduct, name: string): string[] {
  const m = xenditModel(product, name);
  return m && 'props' in m ? m.props.map((p) => p.json) : [];
}
