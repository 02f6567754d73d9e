import type { Merchant } from '../../store/merchants.js';
import type { Runtime } from '../bootstrap.js';
import { UsageError } from './io.js';
import { isUuid } from '../../security/uuid.js';

/** The merchant a command names by id: missing → `missing`, not a stored merchant → "no merchant ID" (usage errors both). */
export async function merchantArg(runtime: Pick<Runtime, 'stores'>, id: string | undefined, missing: string): Promise<Merchant> {
  if (!id) throw new UsageError(missing);
  const merchant = isUuid(id) ? await runtime.stores.merchants.byId(id) : null;
  if (!merchant) throw new UsageError(`no merchant ${id}`);
  return merchant;
}
