/** What the admin's services and pages are given: collaborators only, passed in by server.ts. */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { XenditGateway } from '../clients/xendit/types.js';
import type { XeroGateway, XeroOAuth } from '../clients/xero/types.js';
import type { I18n } from '../i18n/index.js';
import type { PasswordWork } from './auth/password-work.js';
import type { CallbackTokenCache } from '../callbacks/token-cache.js';
import type { UploadPace, UploadSlots } from './uploads.js';
import type { KeptReads } from './kept-reads.js';

export interface OnboardingDeps {
  stores: Stores;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  onJobEnqueued?: () => void;
}

/** What hashes or checks a password: its scrypt work is capped per process (auth/password-work.ts). */
export interface PasswordDeps extends OnboardingDeps {
  passwords: PasswordWork;
}

export interface MerchantOnboardingDeps {
  stores: Stores;
  xero: XeroGateway;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  /** The Xero lists the accounts and settings pages show, kept a minute (merchants/xero-lists.ts); the CLI reads them each time. */
  xeroLists?: KeptReads<unknown>;
}

export interface AdminDeps extends PasswordDeps {
  production: boolean;
  xero: XeroGateway;
  xendit: XenditGateway;
  /** "Connect to Xero" (OAuth 2.0); undefined when the gateway has no Xero app configured. */
  xeroOAuth?: XeroOAuth;
  /** Xero's web app (go.xero.com, or the simulator), for links to invoices. */
  xeroAppUrl: string;
  /** The process's translations: every page's words. */
  i18n: I18n;
  /** The callbacks' memory of tokens (refusals included): a newly saved token must be accepted at once. */
  callbackTokens: Pick<CallbackTokenCache, 'forget'>;
  /** How many Xendit report uploads this process reads at once (uploads.ts). */
  uploads: UploadSlots;
  /** How fast an upload's body must arrive (uploads.ts), from the server's request timeout. */
  uploadPace: UploadPace;
  /** One per process (merchants/xero-lists.ts). */
  xeroLists: KeptReads<unknown>;
}
