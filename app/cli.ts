#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { boot, createLogger, type Runtime } from './bootstrap.js';
import { ConfigError } from '../config/index.js';
import { EmbeddedDatabaseError } from './store/db.js';
import { DEFAULT_FEE_ACCOUNT_CODE, DEFAULT_SALES_ACCOUNT_CODE, ShortCodeTakenError, type Merchant } from './store/merchants.js';
import { UpstreamError } from './clients/types.js';
import { addMerchant } from './admin/merchants/service.js';
import { verifyXenditKey } from './admin/merchants/xendit-keys.js';
import { FormInvalid } from './errors.js';
import { createI18n } from './i18n/index.js';
import { callbackPathFor, customPaymentUrl } from './paths.js';
import { reconcile } from './jobs/sync/reconcile.js';
import { resetSavedDemo } from './demo.js';
import type { JobState } from './store/schema.js';
import { reconciliationReport, toCsv, toText } from './report/reconcile.js';
import { readSecrets, SECRET_OPTIONS, UsageError, type Io } from './cli-secrets.js';

const USAGE = `Usage: npm run cli -- <command>

  merchants add --name N --xero-client-id ID --xero-client-secret S --xendit-secret-key K
                --callback-token T --clearing-account-id A [--clearing-account CUR=ID ...]
      Secrets on the command line show in ps and shell history: instead give
      --xero-client-secret-env VAR, --xendit-secret-key-env VAR, --callback-token-env VAR
      (read from that environment variable), or --secrets-stdin with NAME=VALUE lines
      (xero-client-secret=..., xendit-secret-key=..., callback-token=...) on standard input.
                [--short-code C] [--fee-account-code CODE]
                [--fee-posting bank_transaction|manual_journal|off] [--overpayments]
                [--backend-flow] [--sales-account-code CODE] [--json]
      Adds a merchant on a Xero Custom Connection. Without --short-code the ShortCode is read
      from the Xero organisation. A Xero bank account has one currency: give one
      --clearing-account per extra invoice currency (A is used for the rest). Xendit's fee on
      each payment is posted as Spend Money from the clearing account to the expense account
      CODE (default ${DEFAULT_FEE_ACCOUNT_CODE}, "Bank Fees" in Xero's default charts); --fee-posting off
      leaves fees out of Xero; manual_journal posts them as a manual journal, which Xero allows only
      when the clearing account is not a bank account (an account with payments enabled).
      --overpayments records money paid beyond an invoice's amount due as a Xero overpayment
      (default: what fits is recorded and the rest waits in needs review). --backend-flow also records Xendit invoices paid that the gateway
      did not create (dashboard, payment links): contact + invoice on the revenue account CODE
      (default ${DEFAULT_SALES_ACCOUNT_CODE}, "Sales") + payment + fee. Prints the Custom Payment URL and the callback URL.
  merchants list [--json]
  merchants disable ID
  merchants fee-posting ID bank_transaction|manual_journal|off
  merchants xendit-fees ID deducted|invoiced
      How Xendit bills this merchant's fees. deducted (Xendit's default): kept from each payment,
      so each payment's fee and its VAT (read from the payment's transaction at Xendit) are posted.
      invoiced: Xendit bills fees separately (e.g. monthly); no per-payment fee is posted.
  merchants overpayments ID on|off
  merchants test-organisation ID on|off
      on: the merchant's Xero organisation is a test or demo company, so payments made with a
      Xendit test key (xnd_development_…) are recorded in it. off (default, except for Xero's Demo
      Company): test-mode payments are kept out of Xero, so test money never reaches real books.
  merchants xero-day-limit ID N|default
      Xero's daily call budget for this merchant's organisation (smaller Xero plans allow fewer
      than XERO_LIMIT_PER_DAY). XERO_PAYMENT_RESERVE_PERCENT of it is kept for recording payments.
  report --merchant ID --from YYYY-MM-DD --to YYYY-MM-DD [--csv]
      Xendit's paid invoices against the merchant's clearing account in Xero, row by row:
      matched, missing_in_xero, missing_at_xendit, amount_differs, fee_missing, fee_differs,
      fee_tax_unknown (the VAT on Xendit's fee could not be read), not_from_xendit. Exit code 0 when reconciled, 1 when any row is flagged.
  reconcile --merchant ID [--since DATE] [--limit N] [--json]
      Asks Xendit now about the merchant's open checkouts (created since DATE, e.g. 2026-11-01):
      paid ones are queued for recording in Xero (the worker records them), expired ones closed.
  secrets reseal
      Seals every stored secret again with SECRETS_KEY (after a rotation: the old key in
      SECRETS_KEY_PREVIOUS), bound to its row and column. Exit code 1 if a value opens with no key.
  jobs list [--state queued|running|done|needs_review] [--json]
  jobs replay ID
      Runs a needs_review or done job again (after fixing what it needed), with fresh attempts.
  demo reset
      Demo mode only, with the gateway stopped (a running demo keeps its simulators in memory and
      would write them back; use the Reset demo button on its home page instead): forgets the
      simulators' saved state and every merchant onboarded in the demo; the next start seeds anew.

Uses the same environment as the server (DATABASE_URL, SECRETS_KEY, PUBLIC_URL, XERO_*, XENDIT_*).`;

export { UsageError };

function publicView(runtime: Runtime, m: Merchant) {
  return {
    id: m.id,
    name: m.name,
    shortCode: m.shortCode,
    status: m.status,
    mode: m.mode,
    clearingAccountId: m.clearingAccountId,
    clearingAccounts: m.clearingAccounts,
    feeAccountCode: m.feeAccountCode,
    feePosting: m.feePosting,
    xenditFeeBilling: m.xenditFeeBilling,
    overpayments: m.overpayments,
    backendFlow: m.backendFlow,
    salesAccountCode: m.salesAccountCode,
    salesTaxType: m.salesTaxType,
    xeroDayLimit: m.xeroDayLimit ?? runtime.config.xeroLimits.perDay,
    payUrl: customPaymentUrl(runtime.config.publicUrl),
    callbackUrl: runtime.config.publicUrl + callbackPathFor(m.id),
  };
}

async function merchantsAdd(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      'xero-client-id': { type: 'string' },
      'xero-client-secret': { type: 'string' },
      'xendit-secret-key': { type: 'string' },
      'callback-token': { type: 'string' },
      'xero-client-secret-env': { type: 'string' },
      'xendit-secret-key-env': { type: 'string' },
      'callback-token-env': { type: 'string' },
      'secrets-stdin': { type: 'boolean', default: false },
      'clearing-account-id': { type: 'string' },
      'clearing-account': { type: 'string', multiple: true },
      'short-code': { type: 'string' },
      'fee-account-code': { type: 'string', default: DEFAULT_FEE_ACCOUNT_CODE },
      'fee-posting': { type: 'string', default: 'bank_transaction' },
      'backend-flow': { type: 'boolean', default: false },
      overpayments: { type: 'boolean', default: false },
      'sales-account-code': { type: 'string', default: DEFAULT_SALES_ACCOUNT_CODE },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const secrets = await readSecrets(values, io);
  const required = ['name', 'xero-client-id', 'clearing-account-id'] as const;
  const missing = [...required.filter((k) => !values[k]?.trim()), ...SECRET_OPTIONS.filter((k) => !secrets[k]?.trim())];
  if (missing.length) throw new UsageError(`missing ${missing.map((k) => `--${k}`).join(', ')}`);
  const feePosting = values['fee-posting'];
  if (!isFeePosting(feePosting)) throw new UsageError('--fee-posting must be bank_transaction, manual_journal or off');
  const feeAccountCode = values['fee-account-code']!.trim();
  if (!feeAccountCode) throw new UsageError('--fee-account-code must not be empty');
  const salesAccountCode = values['sales-account-code']!.trim();
  if (!salesAccountCode) throw new UsageError('--sales-account-code must not be empty');

  const clearingAccounts = parseClearingAccounts(values['clearing-account'] ?? []);
  // Nothing is saved with a key Xendit refuses or that lacks a permission the gateway uses.
  await verifyXenditKey(runtime, secrets['xendit-secret-key']!);
  const xero = { clientId: values['xero-client-id']!, clientSecret: secrets['xero-client-secret']!, tenantId: '' };
  const merchant = await addMerchant(runtime, {
    name: values.name!.trim(),
    shortCode: values['short-code']?.trim() || undefined,
    xero,
    xenditSecretKey: secrets['xendit-secret-key']!,
    callbackToken: secrets['callback-token']!,
    clearingAccountId: values['clearing-account-id']!,
    clearingAccounts,
    feeAccountCode,
    feePosting,
    salesAccountCode,
    backendFlow: values['backend-flow'],
    overpayments: values.overpayments,
  });
  const view = publicView(runtime, merchant);
  if (values.json) {
    io.out(JSON.stringify({ id: view.id, shortCode: view.shortCode, payUrl: view.payUrl, callbackUrl: view.callbackUrl }));
    return;
  }
  io.out(`Added ${view.name} (${view.id}), ShortCode ${view.shortCode}, Xendit ${view.mode} mode.`);
  io.out(`Custom Payment URL for Xero: ${view.payUrl}`);
  io.out(`Callback URL for Xendit:     ${view.callbackUrl}`);
}

/** --clearing-account PHP=ACCOUNT_ID, once per extra currency. */
function parseClearingAccounts(pairs: string[]): Record<string, string> {
  const byCurrency: Record<string, string> = {};
  for (const pair of pairs) {
    const m = /^([A-Z]{3})=(\S+)$/.exec(pair.trim());
    if (!m) throw new UsageError(`--clearing-account expects CURRENCY=ACCOUNT_ID (e.g. PHP=1a2b...), got ${JSON.stringify(pair)}`);
    byCurrency[m[1]] = m[2];
  }
  return byCurrency;
}

async function merchantsList(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, strict: true });
  const rows = (await runtime.stores.merchants.list()).map((m) => publicView(runtime, m));
  if (values.json) return io.out(JSON.stringify(rows));
  if (!rows.length) return io.out('No merchants yet. Add one with: merchants add --help');
  for (const r of rows) io.out(`${r.id}  ${r.shortCode.padEnd(10)} ${r.status.padEnd(9)} ${r.mode.padEnd(5)} ${r.name}`);
}

async function merchantsDisable(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const id = args[0];
  if (!id) throw new UsageError('merchants disable needs the merchant id');
  const merchant = /^[0-9a-f-]{36}$/i.test(id) ? await runtime.stores.merchants.byId(id) : null;
  if (!merchant) throw new UsageError(`no merchant ${id}`);
  await runtime.stores.merchants.setStatus(id, 'disabled');
  io.out(`Disabled ${merchant.name} (${id}). Its payment links now answer "not found"; callbacks for payments already made are still recorded.`);
}

async function merchantsXeroDayLimit(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const [id, value] = args;
  if (!id || !value) throw new UsageError('merchants xero-day-limit needs the merchant id and a number of calls (or default)');
  const limit = value === 'default' ? null : Number(value);
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 1)) throw new UsageError(`not a number of calls: ${JSON.stringify(value)}`);
  const merchant = /^[0-9a-f-]{36}$/i.test(id) ? await runtime.stores.merchants.byId(id) : null;
  if (!merchant) throw new UsageError(`no merchant ${id}`);
  await runtime.stores.merchants.setXeroDayLimit(id, limit);
  io.out(`${merchant.name}: Xero daily call budget ${limit ?? `${runtime.config.xeroLimits.perDay} (default)`}.`);
}

const FEE_POSTINGS = ['bank_transaction', 'manual_journal', 'off'] as const;
function isFeePosting(v: unknown): v is (typeof FEE_POSTINGS)[number] {
  return (FEE_POSTINGS as readonly unknown[]).includes(v);
}

async function merchantById(runtime: Runtime, id: string | undefined, command: string): Promise<Merchant> {
  if (!id) throw new UsageError(`${command} needs the merchant id`);
  const merchant = /^[0-9a-f-]{36}$/i.test(id) ? await runtime.stores.merchants.byId(id) : null;
  if (!merchant) throw new UsageError(`no merchant ${id}`);
  return merchant;
}

async function merchantsFeePosting(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const merchant = await merchantById(runtime, args[0], 'merchants fee-posting');
  const value = args[1];
  if (!isFeePosting(value)) throw new UsageError('merchants fee-posting needs bank_transaction, manual_journal or off');
  await runtime.stores.merchants.setAccountingOptions(merchant.id, { feePosting: value }, runtime.clock());
  io.out(
    `${merchant.name}: fees posted as ${value === 'bank_transaction' ? 'Spend Money' : value === 'manual_journal' ? 'manual journals' : 'nothing (off)'} from now on.`,
  );
  if (value === 'manual_journal') {
    io.out(
      'Xero refuses manual journals on bank accounts: the clearing account must be a non-bank account with payments enabled, or fees wait in needs review.',
    );
  }
}

async function merchantsXenditFees(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const merchant = await merchantById(runtime, args[0], 'merchants xendit-fees');
  const value = args[1];
  if (value !== 'deducted' && value !== 'invoiced') throw new UsageError('merchants xendit-fees needs deducted or invoiced');
  await runtime.stores.merchants.setAccountingOptions(merchant.id, { xenditFeeBilling: value }, runtime.clock());
  io.out(
    value === 'deducted'
      ? `${merchant.name}: Xendit's fee kept from each payment is posted per payment from now on.`
      : `${merchant.name}: Xendit invoices its fees separately: no per-payment fee is posted from now on (book Xendit's fee invoice as a bill).`,
  );
}

async function merchantsOverpayments(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const merchant = await merchantById(runtime, args[0], 'merchants overpayments');
  const value = args[1];
  if (value !== 'on' && value !== 'off') throw new UsageError('merchants overpayments needs on or off');
  await runtime.stores.merchants.setAccountingOptions(merchant.id, { overpayments: value === 'on' }, runtime.clock());
  io.out(`${merchant.name}: money paid beyond an invoice's amount due ${value === 'on' ? 'becomes a Xero overpayment' : 'waits in needs review'}.`);
}

async function merchantsTestOrganisation(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const merchant = await merchantById(runtime, args[0], 'merchants test-organisation');
  const value = args[1];
  if (value !== 'on' && value !== 'off') throw new UsageError('merchants test-organisation needs on or off');
  await runtime.stores.merchants.setAccountingOptions(merchant.id, { xeroTestOrganisation: value === 'on' }, runtime.clock());
  io.out(`${merchant.name}: payments made in Xendit test mode are ${value === 'on' ? 'recorded in this (test) Xero organisation' : 'kept out of Xero'}.`);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

async function report(runtime: Runtime, args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { merchant: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, csv: { type: 'boolean', default: false } },
    strict: true,
  });
  const { merchant: id, from, to } = values;
  if (!id || !from || !to) throw new UsageError('report needs --merchant, --from and --to');
  for (const d of [from, to]) if (!DATE.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`))) throw new UsageError(`not a date (YYYY-MM-DD): ${d}`);
  if (from > to) throw new UsageError('--from is after --to');
  if (Date.parse(to) - Date.parse(from) > 366 * 86_400_000) throw new UsageError('a report covers at most 366 days');
  const merchant = /^[0-9a-f-]{36}$/i.test(id) ? await runtime.stores.merchants.byId(id) : null;
  if (!merchant) throw new UsageError(`no merchant ${id}`);
  const r = await reconciliationReport(runtime, merchant, { from, to });
  io.out(values.csv ? toCsv(r).trimEnd() : toText(r));
  return r.reconciled ? 0 : 1;
}

async function merchantOrUsage(runtime: Runtime, id: string | undefined): Promise<Merchant> {
  if (!id) throw new UsageError('--merchant ID is required');
  const merchant = /^[0-9a-f-]{36}$/i.test(id) ? await runtime.stores.merchants.byId(id) : null;
  if (!merchant) throw new UsageError(`no merchant ${id}`);
  return merchant;
}

async function reconcileNow(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { merchant: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string', default: '1000' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  const merchant = await merchantOrUsage(runtime, values.merchant);
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since && Number.isNaN(since.getTime())) throw new UsageError(`--since ${values.since} is not a date (use e.g. 2026-11-01)`);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit must be a whole number from 1 to 10000');
  const summary = await reconcile(runtime, { merchantId: merchant.id, since, minAgeMinutes: 0, batch: limit });
  if (values.json) {
    io.out(JSON.stringify(summary));
    return;
  }
  io.out(
    `Checked ${summary.checked} open checkout(s) of ${merchant.name}: ${summary.paid} paid (queued for recording in Xero), ` +
      `${summary.expired} expired, ${summary.pending} still pending, ${summary.unknown} unknown at Xendit, ${summary.failed} not answered.`,
  );
  if (summary.failed) io.out('Xendit did not answer for some checkouts: run this again later.');
}

const JOB_STATES: JobState[] = ['queued', 'running', 'done', 'needs_review'];

async function jobsList(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const { values } = parseArgs({ args, options: { state: { type: 'string' }, json: { type: 'boolean', default: false } }, strict: true });
  if (values.state && !JOB_STATES.includes(values.state as JobState)) throw new UsageError(`--state must be one of ${JOB_STATES.join(', ')}`);
  const jobs = await runtime.stores.jobs.list({ state: values.state as JobState | undefined });
  const rows = jobs.map((j) => ({ id: j.id, kind: j.kind, state: j.state, attempts: j.attempts, merchantId: j.merchantId, lastError: j.lastError }));
  if (values.json) {
    io.out(JSON.stringify(rows));
    return;
  }
  if (!rows.length) {
    io.out('No jobs.');
    return;
  }
  for (const r of rows)
    io.out(`${String(r.id).padStart(6)}  ${r.kind.padEnd(15)} ${r.state.padEnd(12)} ${String(r.attempts).padStart(2)}  ${r.lastError ?? ''}`);
}

async function jobsReplay(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const id = Number(args[0]);
  if (!args[0] || !Number.isSafeInteger(id) || id < 1) throw new UsageError('jobs replay needs the job id (see jobs list)');
  const job = await runtime.stores.jobs.byId(id);
  if (!job) throw new UsageError(`no job ${id}`);
  if (!(await runtime.stores.jobs.replay(id, runtime.clock())))
    throw new JobNotReplayable(`job ${id} is ${job.state}: only needs_review or done jobs can be replayed`);
  io.out(`Job ${id} (${job.kind}) queued again; the worker runs it next.`);
}

export class JobNotReplayable extends Error {}

async function secretsReseal(runtime: Runtime, _args: string[], io: Io): Promise<number> {
  const r = await runtime.stores.secrets.resealAll();
  io.out(`Sealed again with the current SECRETS_KEY: ${r.resealed}; already current: ${r.current}.`);
  if (!r.failed.length) {
    io.out('Every stored secret opens with SECRETS_KEY alone: SECRETS_KEY_PREVIOUS can be removed.');
    return 0;
  }
  io.out(`No known key opens ${r.failed.length} value(s); keep SECRETS_KEY_PREVIOUS until they are replaced:`);
  for (const where of r.failed) io.out(`  ${where}`);
  return 1;
}

/** Runs one CLI command; returns the exit code. Never prints a secret. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: Omit<Io, 'env'> & { err: (line: string) => void }): Promise<number> {
  const [group, command] = argv;
  type Handler = (r: Runtime, a: string[], io: Io) => Promise<number | void>;
  const handlers: Record<string, Handler | undefined> = {
    'merchants add': merchantsAdd,
    'merchants list': merchantsList,
    'merchants disable': merchantsDisable,
    'merchants xero-day-limit': merchantsXeroDayLimit,
    'merchants fee-posting': merchantsFeePosting,
    'merchants overpayments': merchantsOverpayments,
    'merchants test-organisation': merchantsTestOrganisation,
    'merchants xendit-fees': merchantsXenditFees,
    reconcile: reconcileNow,
    report,
    'jobs list': jobsList,
    'jobs replay': jobsReplay,
    'secrets reseal': secretsReseal,
    'demo reset': demoReset,
  };
  // Two-word commands (merchants add) first, then one-word ones (reconcile --merchant ...).
  const own = (name: string) => (Object.hasOwn(handlers, name) ? handlers[name] : undefined);
  const twoWords = own(`${group} ${command}`);
  const handler = twoWords ?? own(group ?? '');
  const rest = argv.slice(twoWords ? 2 : 1);
  if (!handler || rest.includes('--help')) {
    (handler ? io.out : io.err)(USAGE);
    return handler ? 0 : 64;
  }
  let runtime: Runtime | undefined;
  try {
    const logger = createLogger({ logLevel: env.LOG_LEVEL === 'silent' ? 'silent' : 'warn' }, process.stderr);
    runtime = await boot(env, logger);
    return (await handler(runtime, rest, { ...io, env })) ?? 0;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${(err as Error).message}\n\n${USAGE}`);
      return 64;
    }
    if (
      err instanceof ConfigError ||
      err instanceof EmbeddedDatabaseError ||
      err instanceof ShortCodeTakenError ||
      err instanceof UpstreamError ||
      err instanceof FormInvalid ||
      err instanceof JobNotReplayable
    ) {
      // A refused form names catalogue keys; the command line speaks English.
      let text = err.message;
      if (err instanceof FormInvalid) {
        const i18n = createI18n();
        text = Object.values(err.fields)
          .map((m) => i18n.t('en', m.key, m.params))
          .join('; ');
      }
      io.err(`Error: ${text}`);
      return 2;
    }
    throw err;
  } finally {
    await runtime?.database.close();
  }
}

async function demoReset(runtime: Runtime, args: string[], io: Io): Promise<void> {
  if (args.length) throw new UsageError(`demo reset takes no arguments (got ${args.join(' ')})`);
  if (!runtime.config.demo) throw new UsageError('demo reset: not in demo mode (DEMO is off or XERO_CLIENT_ID is set)');
  const forgotten = await resetSavedDemo(runtime);
  io.out(`Demo reset: ${forgotten} demo merchant(s) forgotten, saved simulator state removed. The next start seeds the demo anew.`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const stdin = async () => {
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    return text;
  };
  runCli(process.argv.slice(2), process.env, { out: (l) => console.log(l), err: (l) => console.error(l), stdin }).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`Unexpected error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
