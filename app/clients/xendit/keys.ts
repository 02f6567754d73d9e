/** What a merchant's Xendit secret key is allowed to do, probed without creating anything a customer could pay. */
import { SUPPORTED_CURRENCIES } from '../../money.js';
import { UpstreamError } from '../types.js';
import { json, type CreateInvoiceRequest, type RawResponse, type XenditApi, type XenditCall } from './call.js';
import type { XenditGateway, XenditPermission } from './types.js';

export function keyCalls(call: XenditCall): Pick<XenditGateway, 'checkSecretKey' | 'businessOf'> {
  return {
    async businessOf(secretKey) {
      // Xendit returns no business for a key by itself, but every invoice carries `user_id` ("your
      // Xendit Business ID", docs.xendit.co Invoice object) and every transaction `business_id`
      // (Transactions API). An account with neither: null, unknown (nothing to compare).
      const first = async (probe: (api: XenditApi) => Promise<RawResponse>, pick: (body: unknown) => unknown) => {
        try {
          const id = pick(await json((await call(secretKey, 'businessOf', probe)) as RawResponse));
          return typeof id === 'string' && id ? id : null;
        } catch (err) {
          if (err instanceof UpstreamError && (err.status === 403 || err.status === 404)) return null;
          // A listing refused as asked (e.g. a currency the account does not hold, or none named where
          // it holds several: docs.xendit.co/apidocs/list-transactions): another way may still answer.
          if (err instanceof UpstreamError && err.status === 400) return null;
          throw err;
        }
      };
      const invoiced = await first(
        (api) => api.getInvoicesRaw({ limit: 1 }),
        (b) => (Array.isArray(b) ? (b[0] as { user_id?: unknown } | undefined)?.user_id : undefined),
      );
      if (invoiced) return invoiced;
      // Transactions: first without a currency (an account of one currency needs none, and may refuse
      // one it does not hold), then one currency at a time (an account with more than one must name
      // it: list-transactions); a currency refused (400) is passed for the next.
      for (const currency of [undefined, ...SUPPORTED_CURRENCIES]) {
        const id = await first(
          (api) => api.getAllTransactionsRaw({ ...(currency ? { currency } : {}), limit: 1 }),
          (b) => ((b as { data?: { business_id?: unknown }[] } | null)?.data ?? [])[0]?.business_id,
        );
        if (id) return id;
      }
      return null;
    },

    async checkSecretKey(secretKey) {
      // Xendit checks a key's permission before it reads the request (docs.xendit.co/apidocs
      // "Errors": 403 REQUEST_FORBIDDEN_ERROR), so each probe is a call that can change nothing:
      // a read, an id that cannot exist (404 = allowed), or a create invalid on purpose (400 =
      // allowed, never an invoice a customer could pay). Transactions are probed by id
      // (getTransactionByID), not listed: a listing may be refused (400) for its currency, which
      // says nothing of the permission. 403 = this permission is missing; 401 = unknown key
      // (thrown). Anything else is an upstream problem (thrown).
      const NO_SUCH_ID = '000000000000000000000000';
      const NO_SUCH_TRANSACTION = 'txn_00000000-0000-0000-0000-000000000000';
      const probes: [XenditPermission, (api: XenditApi) => Promise<unknown>][] = [
        ['create_invoices', (api) => api.createInvoiceRaw({ data: { externalId: '', amount: -1 } as CreateInvoiceRequest })],
        ['read_invoices', (api) => api.getInvoiceByIdRaw({ invoiceId: NO_SUCH_ID })],
        ['list_invoices', (api) => api.getInvoicesRaw({ limit: 1 })],
        ['expire_invoices', (api) => api.expireInvoiceRaw({ invoiceId: NO_SUCH_ID })],
        // In Xendit's own id format (txn_ and a UUID), so it is looked up rather than refused as malformed.
        ['read_transactions', (api) => api.getTransactionByIDRaw({ id: NO_SUCH_TRANSACTION })],
        ['read_refunds', (api) => api.getAllRefundsRaw({ limit: 1 })],
      ];
      const missing: XenditPermission[] = [];
      for (const [permission, probe] of probes) {
        try {
          const res = (await call(secretKey, 'checkSecretKey', probe)) as RawResponse;
          // An invalid create that Xendit accepted after all: expire it at once so nobody can pay it.
          if (permission === 'create_invoices') {
            const created = (await json(res).catch(() => null)) as { id?: unknown } | null;
            if (typeof created?.id === 'string')
              await call(secretKey, 'checkSecretKey', async (api) => api.expireInvoiceRaw({ invoiceId: created.id as string })).catch(() => undefined);
          }
        } catch (err) {
          if (!(err instanceof UpstreamError)) throw err;
          if (err.status === 403) missing.push(permission);
          else if (err.status === 404 || (err.status === 400 && permission === 'create_invoices')) continue;
          else throw err;
        }
      }
      return missing;
    },
  };
}
