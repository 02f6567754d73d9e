/**
 * One Xendit call, as every resource file makes it: a per-call SDK instance whose fetch carries
 * our abort signal and remembers when a rate limit resets, bounded by the timeout, timed for
 * /metrics, and failing with UpstreamError.
 */
import type { Logger } from 'pino';
// The SDK's parts we call, not its index: the index also loads its customer, payment method, payment
// request and payout APIs and their models (193 of its 270 files), which no call here uses.
import { BaseAPI, Configuration } from 'xendit-node/runtime.js';
import { Balance as BalanceApi, Transaction as TransactionApi } from 'xendit-node/balance_and_transaction/index.js';
import { Invoice as InvoiceApi } from 'xendit-node/invoice/index.js';
import { Refund as RefundApi } from 'xendit-node/refund/index.js';
import { UpstreamError, type CallObserver } from '../types.js';
import { toUpstreamError, unexpected, type WaitHeaders } from './errors.js';

export type CreateInvoiceRequest = Parameters<InstanceType<typeof InvoiceApi>['createInvoice']>[0]['data'];

// The SDK's Invoice model (InvoiceFromJSON) drops paid_amount, fees_paid_amount and paid_at, which
// reconciliation needs. So we call the SDK's *Raw methods (private in its typings, hence this
// view), which build the request and raise XenditSdkError as usual, and read the JSON ourselves.
export interface RawResponse {
  raw: Response;
}
interface RawInvoiceApi {
  createInvoiceRaw(p: { data: CreateInvoiceRequest }): Promise<RawResponse>;
  getInvoiceByIdRaw(p: { invoiceId: string }): Promise<RawResponse>;
  getInvoicesRaw(p: {
    externalId?: string;
    limit?: number;
    statuses?: string[];
    paidAfter?: Date;
    paidBefore?: Date;
    lastInvoice?: string;
  }): Promise<RawResponse>;
  expireInvoiceRaw(p: { invoiceId: string }): Promise<RawResponse>;
}
/** The Transactions API (balance_and_transaction). */
interface RawTransactionApi {
  getAllTransactionsRaw(p: {
    referenceId?: string;
    productId?: string;
    types?: string[];
    statuses?: string[];
    currency?: string;
    created?: { gte?: Date; lte?: Date };
    limit?: number;
    afterId?: string;
  }): Promise<RawResponse>;
  /** GET /transactions/{id}. */
  getTransactionByIDRaw(p: { id: string }): Promise<RawResponse>;
}
/** GET /balance (balance_and_transaction BalanceApi): read raw like the rest. */
interface RawBalanceApi {
  getBalanceRaw(p: { accountType?: 'CASH' | 'HOLDING' | 'TAX'; currency?: string }): Promise<RawResponse>;
}
/** The Refund API: its Refund model drops status, invoice_id and reason, so it is read raw too. */
interface RawRefundApi {
  createRefundRaw(p: {
    idempotencyKey: string;
    data: { invoiceId: string; referenceId: string; currency: string; amount: number; reason: string };
  }): Promise<RawResponse>;
  getRefundRaw(p: { refundID: string }): Promise<RawResponse>;
  getAllRefundsRaw(p: { invoiceId?: string; limit?: number; afterId?: string; beforeId?: string }): Promise<RawResponse>;
}
/** Disputes: not in xendit-node 7 (see disputes.ts), made the way its generated APIs make calls. */
interface RawDisputeApi {
  getDisputeRaw(p: { disputeId: string }): Promise<RawResponse>;
}
export type XenditApi = RawInvoiceApi & RawTransactionApi & RawRefundApi & RawDisputeApi & RawBalanceApi;

export type XenditCall = <T>(secretKey: string, op: string, fn: (api: XenditApi) => Promise<T>) => Promise<T>;

interface XenditCallOptions {
  apiUrl: string;
  timeoutMs: number;
  now: () => Date;
  logger?: Logger;
  observer?: CallObserver;
}

export function createCaller(opts: XenditCallOptions): XenditCall {
  const { apiUrl, timeoutMs, now, observer } = opts;
  const log = opts.logger;

  return async function call<T>(secretKey: string, op: string, fn: (api: XenditApi) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const seen: WaitHeaders = {};
    const api = sdkApis(secretKey, apiUrl, controller.signal, seen);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new UpstreamError('xendit', 'unavailable', `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      // The race bounds the whole call (headers and body); the abort frees the socket.
      const result = await Promise.race([fn(api), timeout]);
      observer?.observe(op, seconds());
      return result;
    } catch (err) {
      const upstream = toUpstreamError(err, op, seen, now);
      observer?.observe(op, seconds(), upstream.status === 404 ? 'not_found' : upstream.kind);
      if (upstream.status !== 404) log?.warn({ op, kind: upstream.kind, status: upstream.status }, 'xendit call failed');
      throw upstream;
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Per-call Invoice and Transaction APIs whose fetch carries our abort signal and remembers the
 * headers that say when to try again (the SDK's error keeps only the body). The SDK builds its
 * Configuration internally, so we replace it.
 */
function sdkApis(secretKey: string, apiUrl: string, signal: AbortSignal, seen: WaitHeaders): XenditApi {
  const fetchApi = async (url: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const res = await fetch(url, { ...init, signal });
    seen.rateLimitReset = res.headers.get('rate-limit-reset');
    seen.retryAfter = res.headers.get('retry-after');
    return res;
  };
  const withOurFetch = <A>(api: A): A => {
    (api as unknown as { configuration: Configuration }).configuration = new Configuration({ basePath: apiUrl, fetchApi });
    return api;
  };
  const invoices = withOurFetch(new InvoiceApi({ secretKey, xenditURL: apiUrl })) as unknown as RawInvoiceApi;
  const transactions = withOurFetch(new TransactionApi({ secretKey, xenditURL: apiUrl })) as unknown as RawTransactionApi;
  const refunds = withOurFetch(new RefundApi({ secretKey, xenditURL: apiUrl })) as unknown as RawRefundApi;
  const balance = withOurFetch(new BalanceApi({ secretKey, xenditURL: apiUrl })) as unknown as RawBalanceApi;
  return Object.assign(Object.create(invoices) as RawInvoiceApi, {
    getAllTransactionsRaw: (p: Parameters<RawTransactionApi['getAllTransactionsRaw']>[0]) => transactions.getAllTransactionsRaw(p),
    getTransactionByIDRaw: (p: Parameters<RawTransactionApi['getTransactionByIDRaw']>[0]) => transactions.getTransactionByIDRaw(p),
    createRefundRaw: (p: Parameters<RawRefundApi['createRefundRaw']>[0]) => refunds.createRefundRaw(p),
    getRefundRaw: (p: Parameters<RawRefundApi['getRefundRaw']>[0]) => refunds.getRefundRaw(p),
    getAllRefundsRaw: (p: Parameters<RawRefundApi['getAllRefundsRaw']>[0]) => refunds.getAllRefundsRaw(p),
    getDisputeRaw: (p: Parameters<RawDisputeApi['getDisputeRaw']>[0]) =>
      new DisputeApi(secretKey, new Configuration({ basePath: apiUrl, fetchApi })).getDisputeRaw(p),
    getBalanceRaw: (p: Parameters<RawBalanceApi['getBalanceRaw']>[0]) => balance.getBalanceRaw(p),
  });
}

class DisputeApi extends BaseAPI {
  constructor(
    private readonly secretKey: string,
    configuration: Configuration,
  ) {
    super(configuration);
  }

  async getDisputeRaw(p: { disputeId: string }): Promise<RawResponse> {
    const raw = await this.request({
      path: `/v1/disputes/${encodeURIComponent(p.disputeId)}`,
      method: 'GET',
      headers: { Authorization: `Basic ${Buffer.from(`${this.secretKey}:`).toString('base64')}` },
    });
    return { raw };
  }
}

export async function json(res: RawResponse): Promise<unknown> {
  try {
    return await res.raw.json();
  } catch (err) {
    if (err instanceof SyntaxError) throw unexpected('body is not JSON');
    throw err;
  }
}
