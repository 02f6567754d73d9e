/**
 * XenditGateway over the official xendit-node SDK (Invoice and Transactions APIs). The same code
 * talks to real Xendit or app/simulators/xendit: only apiUrl differs.
 */
import type { Logger } from 'pino';
import type { CallObserver } from '../types.js';
import { balanceCalls } from './balance.js';
import { movementCalls } from './movements.js';
import { createCaller } from './call.js';
import { invoiceCalls } from './invoices.js';
import { keyCalls } from './keys.js';
import { disputeCalls } from './disputes.js';
import { chargebackCalls } from './chargebacks.js';
import { refundCalls } from './refunds.js';
import { transactionCalls } from './transactions.js';
import type { XenditGateway } from './types.js';

export interface XenditClientOptions {
  /** e.g. https://api.xendit.co */
  apiUrl: string;
  timeoutMs?: number;
  logger?: Logger;
  /** Used to read an HTTP-date Retry-After. */
  now?: () => Date;
  /** Latency and errors of each call, for /metrics. */
  observer?: CallObserver;
}

export function createXenditClient(opts: XenditClientOptions): XenditGateway {
  const call = createCaller({
    apiUrl: opts.apiUrl.replace(/\/+$/, ''),
    timeoutMs: opts.timeoutMs ?? 10_000,
    now: opts.now ?? (() => new Date()),
    logger: opts.logger,
    observer: opts.observer,
  });
  return {
    ...invoiceCalls(call),
    ...transactionCalls(call),
    ...keyCalls(call),
    ...refundCalls(call),
    ...disputeCalls(call),
    ...chargebackCalls(call),
    ...balanceCalls(call),
    ...movementCalls(call),
  };
}
