import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { XenditGateway } from '../clients/xendit/types.js';
import type { XeroGateway } from '../clients/xero/types.js';
import type { InvoiceIdMemo } from './invoice-ids.js';
import type { PayAdmission } from './admission.js';

/** What the customer's click (startPayment and the Xendit create it makes) is given. */
export interface PayDeps {
  stores: Stores;
  xero: XeroGateway;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  /** Hosts a checkout may be redirected to (XENDIT_CHECKOUT_HOSTS)... */
  checkoutHosts: string[];
  /** ...of which these only a test-key checkout (XENDIT_TEST_CHECKOUT_HOSTS: Xendit's staging checkout). */
  testCheckoutHosts?: string[];
  invoiceDurationSeconds: number;
  /** How long a click waits for a concurrent click that is creating the same checkout. */
  creationWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** A job was queued (a paid checkout found while replacing it): wake an in-process worker. */
  onJobEnqueued?: () => void;
  /** Lets a repeat click read its checkouts with its admission instead of after Xero answers. */
  invoiceIds?: InvoiceIdMemo;
  /** Counts the click, finds the merchant and takes the Xero budget, in one round trip. */
  admit: PayAdmission;
  /** A number Xero does not have is answered without asking Xero again for this long (0: always ask). */
  missRememberMs?: number;
  /** PAY_PART_HOLD_MINUTES: a part payment a payer was sent to this recently is not ended by a click for another amount. */
  partHoldMs: number;
  /** Tests: runs between a click's look-up at Xendit and its opening of the checkout (a race with a click that lost the row). */
  beforeOpen?: () => Promise<void>;
}
