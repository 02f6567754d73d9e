/** Xero calls to record one payment with its fee on the normal path (payments arriving one at a time). */
import type { Stack } from './stack.js';

export interface RecordingCalls {
  payments: number;
  /** Xero API requests (not the token endpoint) per recorded payment, its fee included. */
  perPayment: number;
  calls: string[];
}

/** Pays `n` invoices one after another (after one to warm the caches), each recorded by the worker before the next. */
export async function countRecordingCalls(stack: Stack, n: number): Promise<RecordingCalls> {
  const xeroCalls = () => stack.sims.xero.test.requests().filter((r) => r.path.startsWith('/api.xro/'));
  let calls: string[] = [];
  for (let i = 0; i <= n; i++) {
    const { invoiceNumber } = stack.addInvoice(`BENCH-RECORD-${stack.engine}-${i}`);
    const click = await fetch(stack.gatewayUrl + stack.payPath(invoiceNumber), { redirect: 'manual' });
    await click.arrayBuffer();
    if (click.status !== 303) throw new Error(`recording bench: pay click answered ${click.status}`);
    const x = stack.sims.xendit.listInvoices().at(-1)!;
    await stack.sims.xendit.pay(x.id, { sendCallback: false });
    stack.sims.xero.test.clearRequests();
    const cb = await fetch(stack.gatewayUrl + stack.callbackPath, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-callback-token': stack.callbackToken },
      body: JSON.stringify({ id: x.id, external_id: x.external_id, status: 'PAID' }),
    });
    await cb.arrayBuffer();
    if (cb.status !== 200) throw new Error(`recording bench: callback answered ${cb.status}`);
    await stack.worker.drain();
    const payment = await stack.stores.payments.byXenditInvoice(stack.merchant.id, x.id);
    if (payment?.syncState !== 'recorded' || payment.feeState !== 'posted')
      throw new Error(`recording bench: payment ${payment?.syncState}, fee ${payment?.feeState}`);
    if (i > 0) calls = calls.concat(xeroCalls().map((r) => `${r.method} ${r.path.replace(/\/[0-9a-f-]{36}$/, '/{id}')}`));
  }
  return { payments: n, perPayment: calls.length / n, calls };
}
