import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Express } from 'express';
import type { Stores } from '../../app/store/index.js';
import type { Db } from '../../app/store/db.js';
import type { Merchant } from '../../app/store/merchants.js';
import { hashPassword } from '../../app/admin/auth/passwords.js';
import { adminMerchantPath, paths } from '../../app/paths.js';

export const PASSWORD = 'correct horse battery';

export type Agent = ReturnType<typeof request.agent>;

export async function clearAdminTables(db: Db): Promise<void> {
  await sql`truncate sessions, users, setup_tokens, login_attempts cascade`.execute(db);
}

export function csrfOf(html: string): string {
  const token = cheerio.load(html)('input[name=_csrf]').first().val();
  assert.ok(typeof token === 'string' && token.length > 20, 'the page carries a CSRF token');
  return token;
}

export async function addUser(stores: Stores, email: string, merchantId: string | null, now = new Date()) {
  return stores.users.add({ email, passwordHash: await hashPassword(PASSWORD), role: merchantId ? 'merchant' : 'operator', merchantId }, now);
}

/** A cookie-keeping client signed in as email. */
export async function signedIn(app: Express, email: string, password = PASSWORD): Promise<Agent> {
  const agent = request.agent(app);
  const form = await agent.get(paths.adminLogin).expect(200);
  await agent
    .post(paths.adminLogin)
    .type('form')
    .send({ _csrf: csrfOf(form.text), email, password })
    .expect(303)
    .expect('location', paths.admin);
  return agent;
}

/** Types the password again (the step-up), as the reauth page does; the session may then change where money goes. */
export async function reauth(agent: Agent, password = PASSWORD): Promise<void> {
  const form = await agent.get(paths.admin).expect(200);
  await agent
    .post(paths.adminReauth)
    .type('form')
    .send({ _csrf: csrfOf(form.text), password, back: paths.admin })
    .expect(303);
}

/** GET a page and return its CSRF token along with the parsed document. */
export async function page(agent: Agent, url: string, status = 200) {
  const res = await agent.get(url).expect(status);
  return { res, $: cheerio.load(res.text), csrf: () => csrfOf(res.text) };
}

/** The version the form `form` (a selector) of a page was shown with: its hidden field, which a browser sends back. */
export function versionOf($: cheerio.CheerioAPI, form: string): string {
  const version = $(`${form} input[name=version]`).val();
  assert.ok(typeof version === 'string' && version, `${form} carries its version`);
  return version;
}

/** The merchant settings page's switches as a merchant who changed nothing would send them. */
const SETTINGS_FORM: Record<string, string> = {
  backendFlow: 'false',
  feePosting: 'bank_transaction',
  xenditFeeBilling: 'deducted',
  overpayments: 'false',
  xeroTestOrganisation: 'true',
  partialMinPercent: 'off',
  checkoutHours: 'default',
  xenditReceipts: 'false',
};

/** Sends the merchant settings form, with the version it was shown with, with these fields changed (undefined: left out of the form). */
export async function saveSettings(agent: Agent, merchantId: string, fields: Record<string, string | undefined>, status = 303) {
  const path = adminMerchantPath(merchantId, 'adminMerchantSettings');
  const form = await page(agent, path);
  const version = versionOf(form.$, 'form[action$="/settings"]');
  const body = Object.fromEntries(Object.entries({ ...SETTINGS_FORM, version, ...fields }).filter((e): e is [string, string] => e[1] !== undefined));
  return agent
    .post(path)
    .type('form')
    .send({ _csrf: form.csrf(), ...body })
    .expect(status);
}

/**
 * The admin tests' cast, on freshly cleared admin tables: a second merchant "Warung Lain" (with a
 * Xendit key, callback token and clearing account) and three users: ops@example.com (operator),
 * a@toko.test (the harness's merchant) and b@lain.test (the other merchant). Returns the other merchant.
 */
export async function seedAdminCast(h: { stores: Stores; merchant: { id: string }; clock: () => Date }, db: Db): Promise<Merchant> {
  await clearAdminTables(db);
  const other = await h.stores.merchants.add({
    name: 'Warung Lain',
    shortCode: `!O${randomUUID().slice(0, 6)}`,
    xero: { clientId: 'other', clientSecret: 'other-secret', tenantId: '' },
    xenditSecretKey: 'xnd_development_other',
    callbackToken: 'other-token',
    clearingAccountId: 'acc-other',
  });
  await addUser(h.stores, 'ops@example.com', null, h.clock());
  await addUser(h.stores, 'a@toko.test', h.merchant.id, h.clock());
  await addUser(h.stores, 'b@lain.test', other.id, h.clock());
  return other;
}

/** What a browser would send for the form `selector` of a page as it was shown: its hidden fields, checked boxes and selected options. */
export function formFields($: cheerio.CheerioAPI, selector: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const add = (name: string | undefined, value: string | undefined) => {
    if (!name || value === undefined) return;
    const had = out[name];
    out[name] = had === undefined ? value : ([] as string[]).concat(had, value);
  };
  $(`${selector} input`).each((_, el) => {
    const input = $(el);
    const type = input.attr('type') ?? 'text';
    if ((type === 'radio' || type === 'checkbox') && input.attr('checked') === undefined) return;
    add(input.attr('name'), String(input.val() ?? ''));
  });
  $(`${selector} select`).each((_, el) => add($(el).attr('name'), String($(el).find('option[selected]').val() ?? '')));
  return out;
}

/**
 * Sends `posts` at once and lets them reach the database together, as two saves made within
 * milliseconds of each other do: another transaction holds the merchant's row until each post
 * either waits on a lock or has been answered. Whatever each one read before writing, they write
 * at the same moment. Returns their answers in order.
 */
export async function atOnce<T>(db: Db, merchantId: string, posts: (() => PromiseLike<T>)[]): Promise<T[]> {
  let answered = 0;
  let all: Promise<T[]> | undefined;
  const waiting = async () => {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
    return rows[0].n;
  };
  await db.transaction().execute(async (trx) => {
    await sql`select 1 from merchants where id = ${merchantId} for update`.execute(trx);
    all = Promise.all(posts.map((post) => Promise.resolve(post()).finally(() => answered++)));
    // Awaited by the caller; marked handled so a failure while the lock is held is not reported twice.
    all.catch(() => undefined);
    while (answered + (await waiting()) < posts.length) await new Promise(setImmediate);
  });
  return all!;
}
