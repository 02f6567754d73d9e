/** merchants add | list | disable | enable | xero-day-limit, and the settings the admin's settings page also switches. */
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { awaitingXero, DEFAULT_FEE_ACCOUNT_CODE, DEFAULT_SALES_ACCOUNT_CODE, type Merchant } from '../../store/merchants.js';
import { addMerchant } from '../../admin/merchants/service.js';
import { applySettings, saveOtherMovements } from '../../admin/merchants/settings.js';
import { verifyXenditAccountFree, verifyXenditKey } from '../../admin/merchants/xendit-keys.js';
import { addMerchantAwaitingXero, DEFAULT_CONNECT_LINK_DAYS, issueConnectLink } from '../../admin/merchants/connect-link.js';
import { callbackPathFor, customPaymentUrl, disputeCallbackPathFor, refundCallbackPathFor } from '../../paths.js';
import type { Runtime } from '../bootstrap.js';
import { readSecrets, SECRET_OPTIONS, UsageError, type Command, type Io } from './io.js';
import { merchantArg } from './merchant-arg.js';
import { callbackTokenField, xenditKeyField, xeroClientIdField, xeroClientSecretField } from '../../admin/merchants/credential-fields.js';
import { modeOfXenditKey } from '../../store/merchant-model.js';
import { createI18n } from '../../i18n/index.js';

/** Who changed a setting, in the log line every settings write leaves. */
const BY = 'cli';

function publicView(runtime: Runtime, m: Merchant) {
  return {
    id: m.id,
    name: m.name,
    shortCode: awaitingXero(m) ? '' : m.shortCode,
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
    otherMovementsAccountCode: m.otherMovementsAccountCode,
    otherMovementsSince: m.otherMovementsSince?.toISOString() ?? null,
    xeroDayLimit: m.xeroDayLimit ?? runtime.config.xeroLimits.perDay,
    payUrl: customPaymentUrl(runtime.config.publicUrl),
    callbackUrl: runtime.config.publicUrl + callbackPathFor(m.id),
    refundWebhookUrl: runtime.config.publicUrl + refundCallbackPathFor(m.id),
    disputeWebhookUrl: runtime.config.publicUrl + disputeCallbackPathFor(m.id),
  };
}

/** One credential option, checked as the admin's form checks its field: trimmed, or refused naming the option. */
function credential<T>(option: string, field: z.ZodType<T>, value: string): T {
  const parsed = field.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new UsageError(`--${option}: ${createI18n().t('en', parsed.error.issues[0].message)}`);
}

type Secrets = Awaited<ReturnType<typeof readSecrets>>;

/** The secrets however given, trimmed and checked (credential-fields.ts); an empty one is not given. */
function checkedSecrets(secrets: Secrets): Secrets {
  const given = (name: keyof Secrets) => (secrets[name]?.trim() ? secrets[name] : undefined);
  const clientSecret = given('xero-client-secret');
  const key = given('xendit-secret-key');
  const token = given('callback-token');
  return {
    'xero-client-secret': clientSecret && credential('xero-client-secret', xeroClientSecretField, clientSecret),
    'xendit-secret-key': key && credential('xendit-secret-key', xenditKeyField(modeOfXenditKey(key.trim())), key),
    'callback-token': token && credential('callback-token', callbackTokenField, token),
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
      'link-days': { type: 'string', default: String(DEFAULT_CONNECT_LINK_DAYS) },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const secrets = checkedSecrets(await readSecrets(values, io));
  if (!values['xero-client-id']) return addWithConnectLink(runtime, values, secrets, io);
  const required = ['name', 'xero-client-id', 'clearing-account-id'] as const;
  const missing = [...required.filter((k) => !values[k]?.trim()), ...SECRET_OPTIONS.filter((k) => !secrets[k]?.trim())];
  if (missing.length) throw new UsageError(`missing ${missing.map((k) => `--${k}`).join(', ')}`);
  const clientId = credential('xero-client-id', xeroClientIdField, values['xero-client-id']!);
  const feePosting = values['fee-posting'];
  if (!isFeePosting(feePosting)) throw new UsageError('--fee-posting must be bank_transaction, manual_journal or off');
  const feeAccountCode = values['fee-account-code']!.trim();
  if (!feeAccountCode) throw new UsageError('--fee-account-code must not be empty');
  const salesAccountCode = values['sales-account-code']!.trim();
  if (!salesAccountCode) throw new UsageError('--sales-account-code must not be empty');

  const clearingAccounts = parseClearingAccounts(values['clearing-account'] ?? []);
  // Nothing is saved with a key Xendit refuses or that lacks a permission the gateway uses.
  await verifyXenditKey(runtime, secrets['xendit-secret-key']!);
  await verifyXenditAccountFree(runtime, secrets['xendit-secret-key']!);
  const xero = { clientId, clientSecret: secrets['xero-client-secret']!, tenantId: '' };
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
    const { id, shortCode, payUrl, callbackUrl, refundWebhookUrl, disputeWebhookUrl } = view;
    io.out(JSON.stringify({ id, shortCode, payUrl, callbackUrl, refundWebhookUrl, disputeWebhookUrl }));
    return;
  }
  io.out(`Added ${view.name} (${view.id}), ShortCode ${view.shortCode}, Xendit ${view.mode} mode.`);
  io.out(`Custom Payment URL for Xero: ${view.payUrl}`);
  printXenditUrls(io, view);
}

/**
 * Where Xendit must send what it tells the gateway, all with the merchant's verification token.
 * Refunds and disputes are separate webhook settings at Xendit: without them a refund waits for the
 * scheduled listing, and a dispute (Xendit lists none) reaches the gateway only from its report.
 */
function printXenditUrls(io: Io, view: { callbackUrl: string; refundWebhookUrl: string; disputeWebhookUrl: string }): void {
  io.out(`Xendit, Settings → Callbacks → Invoices paid and Invoice expired: ${view.callbackUrl}`);
  io.out(`Xendit, Settings → Webhooks → Refunds:                           ${view.refundWebhookUrl}`);
  io.out(`Xendit, Settings → Webhooks → Disputes:                          ${view.disputeWebhookUrl}`);
}

type AddValues = Record<string, string | boolean | string[] | undefined>;

/**
 * Without Xero credentials: the merchant's organisation is outside Custom Connections' countries (AU,
 * NZ, UK, US only), so its own Xero user connects it through a one-time link (Connect to Xero).
 * The clearing account is picked in the admin once Xero is connected.
 */
async function addWithConnectLink(runtime: Runtime, values: AddValues, secrets: Record<string, string | undefined>, io: Io): Promise<void> {
  if (!runtime.xeroOAuth)
    throw new UsageError(
      "a connect link needs the gateway's Xero app (XERO_CLIENT_ID and XERO_CLIENT_SECRET); or give --xero-client-id for a Custom Connection (AU, NZ, UK, US)",
    );
  const name = typeof values.name === 'string' ? values.name.trim() : '';
  if (!name) throw new UsageError('missing --name');
  const later = ['xero-client-secret', 'clearing-account-id', 'clearing-account', 'short-code'].filter((k) => values[k] !== undefined || secrets[k]);
  if (later.length)
    throw new UsageError(
      `${later.map((k) => `--${k}`).join(', ')}: not without --xero-client-id (the ShortCode and accounts come from Xero once the link is used)`,
    );
  const xenditKey = secrets['xendit-secret-key']?.trim();
  const callbackToken = secrets['callback-token']?.trim();
  if (Boolean(xenditKey) !== Boolean(callbackToken))
    throw new UsageError('give both --xendit-secret-key and --callback-token, or neither (then enter them in the admin)');
  const days = linkDays(values['link-days']);
  const feePosting = values['fee-posting'];
  if (!isFeePosting(feePosting)) throw new UsageError('--fee-posting must be bank_transaction, manual_journal or off');
  if (xenditKey) {
    await verifyXenditKey(runtime, xenditKey);
    await verifyXenditAccountFree(runtime, xenditKey);
  }
  const { merchant, link } = await addMerchantAwaitingXero(
    { ...runtime, publicUrl: runtime.config.publicUrl },
    {
      name,
      xenditSecretKey: xenditKey,
      callbackToken,
      feeAccountCode: String(values['fee-account-code']).trim() || undefined,
      feePosting,
      salesAccountCode: String(values['sales-account-code']).trim() || undefined,
      backendFlow: values['backend-flow'] === true,
      overpayments: values.overpayments === true,
    },
    days,
  );
  if (values.json) {
    io.out(JSON.stringify({ id: merchant.id, connectLink: link.url, connectLinkExpiresAt: link.expiresAt.toISOString() }));
    return;
  }
  io.out(`Added ${merchant.name} (${merchant.id}), waiting for Xero.`);
  printConnectLink(io, link);
}

function linkDays(v: unknown): number {
  const days = Number(v);
  if (!Number.isSafeInteger(days) || days < 1 || days > 30) throw new UsageError('--link-days must be a whole number of days from 1 to 30');
  return days;
}

function printConnectLink(io: Io, link: { url: string; expiresAt: Date }): void {
  io.out(`Connect link (works once, until ${link.expiresAt.toISOString()}): ${link.url}`);
  io.out('Send it to the merchant: one of their Xero users opens it, signs in at Xero and allows access. It is shown only now.');
  io.out('Then pick the clearing account and, if not given here, the Xendit keys in the admin (Merchants).');
}

/** A new connect link (earlier unused ones stop working): the first expired, or Xero must be connected again. */
async function merchantsConnectLink(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { 'link-days': { type: 'string', default: String(DEFAULT_CONNECT_LINK_DAYS) }, json: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const merchant = await merchantArg(runtime, positionals[0], 'merchants connect-link needs the merchant id');
  if (!runtime.xeroOAuth) throw new UsageError("a connect link needs the gateway's Xero app (XERO_CLIENT_ID and XERO_CLIENT_SECRET)");
  if (merchant.xeroConnection !== 'oauth') throw new UsageError(`${merchant.name} uses a Xero Custom Connection: it needs no connect link`);
  const link = await issueConnectLink({ ...runtime, publicUrl: runtime.config.publicUrl }, merchant, linkDays(values['link-days']));
  if (values.json) return io.out(JSON.stringify({ id: merchant.id, connectLink: link.url, connectLinkExpiresAt: link.expiresAt.toISOString() }));
  printConnectLink(io, link);
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
  const merchant = await merchantArg(runtime, args[0], 'merchants disable needs the merchant id');
  await runtime.stores.merchants.setStatus(merchant.id, 'disabled');
  if (merchant.status === 'onboarding') {
    io.out(
      `Disabled ${merchant.name} (${merchant.id}) while it was still onboarding: it takes no payments, its connect link no longer works, ` +
        `and finishing its setup in the admin does not make it active. Undo with: merchants enable ${merchant.id}`,
    );
    return;
  }
  io.out(
    `Disabled ${merchant.name} (${merchant.id}). Its payment links make no new payments (customers see "We could not find this invoice"); ` +
      'callbacks, refunds and withdrawals of payments already made are still recorded. Undo with: merchants enable ' +
      merchant.id,
  );
}

/**
 * Undoes merchants disable. The merchant goes back to onboarding first, and on to active only when
 * its setup is complete, by the same rule the admin's setup steps use, so a merchant disabled
 * half-way through onboarding does not take payments without a clearing account.
 */
async function merchantsEnable(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const merchant = await merchantArg(runtime, args[0], 'merchants enable needs the merchant id');
  if (merchant.status !== 'disabled' && merchant.status !== 'onboarding')
    return io.out(`${merchant.name} (${merchant.id}) is ${merchant.status}, not disabled.`);
  // From onboarding too: a run stopped between the two steps is finished by running it again.
  if (merchant.status === 'disabled') await runtime.stores.merchants.setStatus(merchant.id, 'onboarding');
  const active = await runtime.stores.merchants.activateIfComplete(merchant.id, runtime.clock());
  io.out(
    active
      ? `Enabled ${merchant.name} (${merchant.id}): active, its payment links work again.`
      : `Enabled ${merchant.name} (${merchant.id}): onboarding. Finish its setup in the admin (Xendit key, callback token, clearing account); it becomes active then.`,
  );
}

async function merchantsXeroDayLimit(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const [id, value] = args;
  if (!id || !value) throw new UsageError('merchants xero-day-limit needs the merchant id and a number of calls (or default)');
  const limit = value === 'default' ? null : Number(value);
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 1)) throw new UsageError(`not a number of calls: ${JSON.stringify(value)}`);
  const merchant = await merchantArg(runtime, id, 'merchants xero-day-limit needs the merchant id');
  await runtime.stores.merchants.setXeroDayLimit(merchant.id, limit);
  io.out(`${merchant.name}: Xero daily call budget ${limit ?? `${runtime.config.xeroLimits.perDay} (default)`}.`);
}

const FEE_POSTINGS = ['bank_transaction', 'manual_journal', 'off'] as const;
function isFeePosting(v: unknown): v is (typeof FEE_POSTINGS)[number] {
  return (FEE_POSTINGS as readonly unknown[]).includes(v);
}

async function merchantsFeePosting(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const merchant = await merchantArg(runtime, args[0], 'merchants fee-posting needs the merchant id');
  const value = args[1];
  if (!isFeePosting(value)) throw new UsageError('merchants fee-posting needs bank_transaction, manual_journal or off');
  await applySettings(runtime, merchant, { feePosting: value }, BY);
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
  const merchant = await merchantArg(runtime, args[0], 'merchants xendit-fees needs the merchant id');
  const value = args[1];
  if (value !== 'deducted' && value !== 'invoiced') throw new UsageError('merchants xendit-fees needs deducted or invoiced');
  await applySettings(runtime, merchant, { xenditFeeBilling: value }, BY);
  io.out(
    value === 'deducted'
      ? `${merchant.name}: Xendit's fee kept from each payment is posted per payment from now on.`
      : `${merchant.name}: Xendit invoices its fees separately: no per-payment fee is posted from now on (book Xendit's fee invoice as a bill).`,
  );
}

async function merchantsOverpayments(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const merchant = await merchantArg(runtime, args[0], 'merchants overpayments needs the merchant id');
  const value = args[1];
  if (value !== 'on' && value !== 'off') throw new UsageError('merchants overpayments needs on or off');
  await applySettings(runtime, merchant, { overpayments: value === 'on' }, BY);
  io.out(`${merchant.name}: money paid beyond an invoice's amount due ${value === 'on' ? 'becomes a Xero overpayment' : 'waits in needs review'}.`);
}

async function merchantsTestOrganisation(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const merchant = await merchantArg(runtime, args[0], 'merchants test-organisation needs the merchant id');
  const value = args[1];
  if (value !== 'on' && value !== 'off') throw new UsageError('merchants test-organisation needs on or off');
  await applySettings(runtime, merchant, { xeroTestOrganisation: value === 'on' }, BY);
  io.out(`${merchant.name}: payments made in Xendit test mode are ${value === 'on' ? 'recorded in this (test) Xero organisation' : 'kept out of Xero'}.`);
}

/** The settings page's "Book Xendit's other balance movements": an account of the merchant's Xero chart, or off. */
async function merchantsOtherMovements(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const merchant = await merchantArg(runtime, args[0], 'merchants other-movements needs the merchant id');
  const value = args[1]?.trim();
  if (!value) throw new UsageError('merchants other-movements needs an account code of the Xero chart, or off');
  const code = value === 'off' ? null : value;
  // The account is checked against the organisation's chart: there is none to read before Xero is connected.
  if (code !== null && awaitingXero(merchant)) throw new UsageError(`${merchant.name} is not connected to Xero yet: connect it first`);
  const saved = await saveOtherMovements(runtime, merchant, code, BY);
  if (code === null) {
    io.out(`${merchant.name}: Xendit's other balance movements are not booked (off). Turned on again, only what moves from then on is booked.`);
    return;
  }
  io.out(
    `${merchant.name}: Xendit's other balance movements (payouts, transfers, top-ups, …) from ${saved.otherMovementsSince!.toISOString()} on are ` +
      `booked against account ${code}, as Spend or Receive Money on the clearing account.`,
  );
  io.out('Any of them already booked by hand would be booked a second time: stop booking them by hand.');
}

export const merchantCommands: Record<string, Command> = {
  'merchants add': merchantsAdd,
  'merchants list': merchantsList,
  'merchants connect-link': merchantsConnectLink,
  'merchants disable': merchantsDisable,
  'merchants enable': merchantsEnable,
  'merchants xero-day-limit': merchantsXeroDayLimit,
  'merchants fee-posting': merchantsFeePosting,
  'merchants overpayments': merchantsOverpayments,
  'merchants test-organisation': merchantsTestOrganisation,
  'merchants xendit-fees': merchantsXenditFees,
  'merchants other-movements': merchantsOtherMovements,
};
