import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { XeroGateway } from '../../clients/xero/types.js';
import { XeroDisconnected } from '../../clients/xero/errors.js';
import { raiseAlert, xeroDisconnectedAlert } from '../../alerts/raise.js';

/**
 * Xero drops a refresh token unused for 60 days ("you must refresh at least every two months":
 * developer.xero.com, OAuth 2.0 token types), so a merchant with no sales for two months would be
 * disconnected without anyone noticing. Refreshing after 30 idle days leaves a month of daily runs
 * to get through.
 */
export const DEFAULT_KEEPALIVE_DAYS = 30;
/**
 * Refreshes per run. They go to identity.xero.com, not the API the rate budget counts, but are
 * still spread: the longest idle first, the rest on the next days (well inside the 60).
 */
export const KEEPALIVE_BATCH = 200;

const DAY_MS = 24 * 3600_000;

export interface KeepAliveDeps {
  stores: Pick<Stores, 'xeroTokens' | 'alerts'>;
  xero: Pick<XeroGateway, 'keepAliveToken'>;
  clock: Clock;
  logger: Logger;
}

/**
 * Refreshes, through the token store's locked refresh (the one payments use), every OAuth token set
 * not refreshed for `days`. invalid_grant disconnects the merchant there, as a payment's refresh
 * would (the admin shows "reconnect"), and drops the set, so it is not tried again; the merchant's
 * users and the operators get the xeroDisconnected alert a payment's job would raise. Other failures
 * are left to the next daily run: one merchant's trouble does not fail the others'.
 */
export function xeroKeepAliveJob(deps: KeepAliveDeps, opts: { days: number; batch?: number }) {
  return async (): Promise<void> => {
    const keepAlive = deps.xero.keepAliveToken;
    if (opts.days <= 0 || !keepAlive) return;
    const now = deps.clock();
    const idleBefore = new Date(now.getTime() - opts.days * DAY_MS);
    const merchantIds = await deps.stores.xeroTokens.idleSince(idleBefore, opts.batch ?? KEEPALIVE_BATCH);
    const counts = { refreshed: 0, recent: 0, disconnected: 0, failed: 0 };
    for (const merchantId of merchantIds) {
      try {
        counts[await keepAlive(merchantId, idleBefore)] += 1;
      } catch (err) {
        if (err instanceof XeroDisconnected) {
          counts.disconnected += 1;
          deps.logger.warn({ merchantId }, 'xero keep-alive: refresh refused; the merchant must reconnect to Xero');
          // An idle merchant has no payment job to meet the refusal and raise it: without this nobody
          // hears until a customer's click finds the merchant disconnected.
          await raiseAlert(deps, xeroDisconnectedAlert(merchantId));
        } else {
          counts.failed += 1;
          deps.logger.warn({ merchantId, err: String(err) }, 'xero keep-alive: refresh failed; next run tries again');
        }
      }
    }
    deps.logger.info({ ...counts, idleDays: opts.days }, 'xero keep-alive run finished');
  };
}
