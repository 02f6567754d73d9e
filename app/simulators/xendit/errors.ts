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
  /**
   * Test option: GET /v2/invoices takes paid_after and paid_before as inclusive bounds. By default
   * they are strict, as Xendit's List All Invoices reference describes them ("greater than", "less
   * than"); which the real API does is not shown elsewhere, so the gateway must be right with both.
   */
  inclusivePaidBounds = false;
  /** Test option: new invoices expire after this many seconds whatever invoice_duration asked (expiry_date is Xendit's word). */
  grantedDurationSeconds?: number;

  override reset(): void {
    super.reset();
    this.invoiceUrlOverride = undefined;
    this.ignoreListCursor = false;
    this.inclusivePaidBounds = false;
    this.grantedDurationSeconds = undefined;
  }
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

export function validation(res: Response, message: string, code = 'API_VALIDATION_ERROR'): void {
  res.status(400).json({ error_code: code, message });
}
