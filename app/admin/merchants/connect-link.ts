/**
 * Connect links: Xero offers Custom Connections only to organisations in AU, NZ, UK and US, so a
 * merchant in Indonesia, the Philippines, Thailand, Vietnam or Malaysia connects with Connect to Xero
 * (OAuth), which needs that merchant's own Xero user at Xero's consent page. The operator creates the
 * merchant and hands over a one-time link; whoever opens it completes Connect to Xero for that
 * merchant only. The link is a bearer secret: only its hash is stored, it expires, one successful
 * connection uses it up, and opening it (GET) only shows a page, so mail scanners that follow links
 * do not spend it.
 */
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Logger } from 'pino';
import type { Merchant, NewMerchant } from '../../store/merchants.js';
import { encodeMessage, message } from '../../i18n/index.js';
import { paths } from '../../paths.js';
import { NotFound } from '../../errors.js';
import { authorisationUrl, random, sha256, XeroConnectProblem, type XeroOAuthDeps } from './xero-connect.js';

export const DEFAULT_CONNECT_LINK_DAYS = 7;

const LINK_PROBLEMS = {
  used: ['errors:connectLinkUsed', 410],
  expired: ['errors:connectLinkExpired', 410],
} as const;

export function connectLinkPath(token: string): string {
  return paths.adminConnectLink.replace(':token', encodeURIComponent(token));
}

/** A new link for an OAuth merchant (earlier unused links stop working); shown once, never stored. */
export async function issueConnectLink(
  deps: { stores: Stores; clock: Clock; publicUrl: string },
  merchant: Merchant,
  ttlDays = DEFAULT_CONNECT_LINK_DAYS,
): Promise<{ url: string; expiresAt: Date }> {
  if (merchant.xeroConnection !== 'oauth') throw new NotFound('this merchant uses a Xero Custom Connection: no connect link needed');
  const token = random();
  const now = deps.clock();
  const expiresAt = new Date(now.getTime() + ttlDays * 86_400_000);
  await deps.stores.connectLinks.issue(merchant.id, sha256(token), expiresAt, now);
  return { url: deps.publicUrl + connectLinkPath(token), expiresAt };
}

type LinkDeps = { stores: Stores; clock: Clock; publicUrl: string; logger: Logger };

/** A merchant whose own Xero user connects Xero later, and its first connect link. */
export async function addMerchantAwaitingXero(
  deps: LinkDeps,
  input: Omit<NewMerchant, 'shortCode' | 'xero' | 'clearingAccountId' | 'clearingAccounts' | 'connectLater'>,
  ttlDays = DEFAULT_CONNECT_LINK_DAYS,
): Promise<{ merchant: Merchant; link: { url: string; expiresAt: Date } }> {
  const merchant = await deps.stores.merchants.add({
    ...input,
    shortCode: '',
    xero: { clientId: '', clientSecret: '', tenantId: '' },
    connectLater: { reason: encodeMessage(message('errors:xeroNotConnectedYet')), now: deps.clock() },
  });
  deps.logger.info({ merchantId: merchant.id, status: merchant.status }, 'merchant added, waiting for its connect link');
  return { merchant, link: await issueConnectLink(deps, merchant, ttlDays) };
}

/** The merchant a link still connects; a refusal page otherwise (unknown, used, expired, merchant disabled). */
export async function openConnectLink(deps: { stores: Stores; clock: Clock }, token: string): Promise<Merchant> {
  const found = /^[\w-]{43}$/.test(token) ? await deps.stores.connectLinks.find(sha256(token), deps.clock()) : null;
  if (found && found.state !== 'usable') throw new XeroConnectProblem(LINK_PROBLEMS[found.state][0], LINK_PROBLEMS[found.state][1]);
  const merchant = found && (await deps.stores.merchants.byId(found.merchantId));
  if (!merchant || merchant.status === 'disabled') throw new XeroConnectProblem('errors:connectLinkUnknown', 404);
  return merchant;
}

/** The browser that holds the link goes to Xero's consent page; the link is used up only once Xero connected. */
export async function startLinkConnect(deps: XeroOAuthDeps, token: string, sessionHash: string): Promise<string> {
  const merchant = await openConnectLink(deps, token);
  return authorisationUrl(deps, { sessionHash, userId: null, connectLinkHash: sha256(token), merchantId: merchant.id });
}
