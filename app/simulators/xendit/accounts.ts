/**
 * Accounts (API keys), the Basic auth check and each key's per-product permissions.
 */
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { type Ctx, type NewSimAccount, type SimXenditInvoice, type XenditSimAccount, type XenditSimState } from './state.js';

export function registerAccount(state: XenditSimState, a: NewSimAccount): XenditSimAccount {
  // Re-registering a key updates the account but keeps its invoices.
  const account: XenditSimAccount = { ...a, userId: a.userId ?? state.accounts.get(a.secretKey)?.userId ?? hexId() };
  state.accounts.set(a.secretKey, account);
  return account;
}

export function hexId(): string {
  return randomBytes(12).toString('hex');
}

export function accountOf(ctx: Ctx, inv: SimXenditInvoice): XenditSimAccount {
  // The business's settings: a revoked key's account record stands for them only when no other key does.
  const accounts = [...ctx.state.accounts.values()].filter((a) => a.userId === inv.userId);
  const account = accounts.find((a) => !a.revoked) ?? accounts[0];
  if (!account) throw new Error(`invoice ${inv.id} has no account`);
  return account;
}

/** The secret key a request is made with: the Basic auth user name ('' without one). */
export function secretKeyOf(req: Request): string {
  const m = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  return m ? Buffer.from(m[1], 'base64').toString('utf8').split(':')[0] : '';
}

export function authenticate(ctx: Ctx, req: Request, res: Response, next: () => void): void {
  const user = secretKeyOf(req);
  const account = user ? ctx.state.accounts.get(user) : undefined;
  if (!account || account.revoked) {
    res.status(401).json({ error_code: 'INVALID_API_KEY', message: 'API key is not authorized for this API service' });
    return;
  }
  res.locals.account = account;
  const needed = permissionFor(req);
  const granted = account.permissions ?? { invoices: 'write', transactions: 'read' };
  const level = (has: 'none' | 'read' | 'write') => has === 'write' || (needed.level === 'read' && has === 'read');
  const ok =
    needed.product === 'balance'
      ? (granted.balance ?? 'read') === 'read'
      : needed.product === 'transactions'
        ? granted.transactions === 'read'
        : needed.product === 'refunds'
          ? level(granted.refunds ?? granted.invoices)
          : level(granted.invoices);
  if (!ok) {
    // docs.xendit.co/apidocs "Errors": 403 REQUEST_FORBIDDEN_ERROR, checked before the body is validated.
    res.status(403).json({ error_code: 'REQUEST_FORBIDDEN_ERROR', message: 'The API key is forbidden to perform this request' });
    return;
  }
  next();
}

/**
 * The product and level a call needs: GETs read, POSTs (create, expire) write. Refunds are a
 * product of their own in Xendit's key settings (Money-in: Refunds); an account set up without
 * saying otherwise gets the level it has for invoices.
 */
export function permissionFor(req: Request): { product: 'invoices' | 'transactions' | 'balance' | 'refunds'; level: 'read' | 'write' } {
  if (req.path === '/transactions' || req.path.startsWith('/transactions/')) return { product: 'transactions', level: 'read' };
  if (req.path === '/refunds' || req.path.startsWith('/refunds/')) return { product: 'refunds', level: req.method === 'GET' ? 'read' : 'write' };
  // Balance is a permission of its own in the key settings (Balance: None/Read).
  if (req.path === '/balance') return { product: 'balance', level: 'read' };
  return { product: 'invoices', level: req.method === 'GET' ? 'read' : 'write' };
}
