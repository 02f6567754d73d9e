/**
 * Xendit's error bodies and the Xendit-only fault switches.
 */
import type { Request, Response } from 'express';
import { Faults } from '../faults.js';

export class XenditFaults extends Faults {
  /** When set, every API answer carries this invoice_url (a hostile or broken upstream). */
  invoiceUrlOverride?: string;
  /**
   * Test option: GET /v2/invoices ignores last_invoice and last_invoice_id, always answering the
   * first page. xendit-node sends last_invoice while Xendit's API reference names last_invoice_id,
   * so a real API honouring only one of them behaves like this for the other.
   */
  ignoreListCursor = false;
  /** Test option: what a list answers to a page cursor it does not hold (cursor.ts): an empty page, the first page again, or a 400. */
  unknownCursor: 'empty' | 'restart' | 'refuse' = 'empty';
  /** Test option: page cursors answered as unknown (unknownCursor) though their row is still listed: ones Xendit let lapse (cursor.ts). */
  forgottenCursors = new Set<string>();
  /**
   * Test option: GET /v2/invoices takes paid_after and paid_before as inclusive bounds. By default
   * they are strict, as Xendit's List All Invoices reference describes them ("greater than", "less
   * than"); which the real API does is not shown elsewhere, so the gateway must be right with both.
   */
  inclusivePaidBounds = false;
  /** Test option: new invoices expire after this many seconds whatever invoice_duration asked (expiry_date is Xendit's word). */
  grantedDurationSeconds?: number;
  /**
   * Test option: GET /transactions refuses (400) these `types` too, as it does the names its API
   * reference no longer lists (transactions.ts LISTED_TYPES): a later revision that drops more of
   * them, as the 2025-11 one dropped seven of xendit-node's.
   */
  retiredTypes: string[] = [];
  private late: { remaining: number; held: (() => string)[] }[] = [];

  /**
   * The next n invoice creates that Xendit would accept get no answer (the connection is closed, as
   * when the client's timeout ends its wait), and Xendit makes each invoice only when the returned
   * handle's make() is called: a create processed after its caller gave up. Xendit has no
   * idempotency key for Create Invoice (xendit-node InvoiceApi createInvoice sends none), so an
   * unanswered create's outcome is unknown to the caller, and nothing says when Xendit acts on it.
   * The invoice is made on the simulator's clock at make(), payable for the invoice_duration asked.
   */
  createLate(n = 1): LateCreates {
    const rule = { remaining: n, held: [] as (() => string)[] };
    this.late.push(rule);
    return {
      get held() {
        return rule.held.length;
      },
      make: () => rule.held.splice(0).map((made) => made()),
    };
  }

  /** For the create route: true when this create is held back (see createLate); `make` makes it later. */
  holdCreate(make: () => string): boolean {
    const rule = this.late.find((r) => r.remaining > 0);
    if (!rule) return false;
    rule.remaining -= 1;
    rule.held.push(make);
    return true;
  }

  override reset(): void {
    super.reset();
    this.invoiceUrlOverride = undefined;
    this.ignoreListCursor = false;
    this.unknownCursor = 'empty';
    this.forgottenCursors = new Set();
    this.inclusivePaidBounds = false;
    this.grantedDurationSeconds = undefined;
    this.retiredTypes = [];
    this.late = [];
  }
}

/** Creates held back by XenditFaults.createLate. */
export interface LateCreates {
  /** Creates answered with nothing whose invoice is not made yet. */
  readonly held: number;
  /** Xendit processes them now: their invoices are made, oldest first; their ids. */
  make(): string[];
}

export function isApi(req: Request): boolean {
  return (
    req.path.startsWith('/v2/') ||
    req.path.startsWith('/invoices/') ||
    req.path === '/transactions' ||
    req.path.startsWith('/transactions/') ||
    req.path === '/balance' ||
    req.path === '/refunds' ||
    req.path.startsWith('/refunds/') ||
    req.path.startsWith('/v1/disputes/')
  );
}

export function xenditErrorBody(status: number): unknown {
  if (status === 429) return { error_code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests' };
  return { error_code: status === 503 ? 'SERVICE_UNAVAILABLE' : 'SERVER_ERROR', message: 'The simulator was told to fail' };
}

export function invoiceNotFound(res: Response): void {
  res.status(404).json({ error_code: 'INVOICE_NOT_FOUND_ERROR', message: 'Invoice not found' });
}

export function notPendingInvoice(res: Response, id: string): void {
  res.status(404).json({ error_code: 'INVOICE_NOT_FOUND_ERROR', message: `Could not find and update PENDING invoice ${id}` });
}

export function validation(res: Response, message: string, code = 'API_VALIDATION_ERROR'): void {
  res.status(400).json({ error_code: code, message });
}
