/** The operators' user list and the merchant users they add. */
import { EmailTakenError, type User } from '../../store/users.js';
import { FormInvalid, NotFound } from '../../errors.js';
import type { OnboardingDeps } from '../deps.js';
import { hashPassword } from '../auth/passwords.js';

export async function createMerchantUser(deps: OnboardingDeps, actor: User, input: { email: string; merchantId: string; password: string }): Promise<User> {
  if (actor.role !== 'operator') throw new NotFound('only operators manage users');
  if (!(await deps.stores.merchants.byId(input.merchantId))) throw new FormInvalid({ merchantId: 'errors:merchantChoose' });
  try {
    const user = await deps.stores.users.add(
      { email: input.email, passwordHash: await hashPassword(input.password), role: 'merchant', merchantId: input.merchantId },
      deps.clock(),
    );
    deps.logger.info({ userId: user.id, merchantId: input.merchantId, by: actor.id }, 'merchant user created');
    return user;
  } catch (err) {
    if (err instanceof EmailTakenError) throw new FormInvalid({ email: 'errors:emailTaken' });
    throw err;
  }
}

export async function listUsers(deps: OnboardingDeps, actor: User) {
  if (actor.role !== 'operator') throw new NotFound('only operators manage users');
  const [users, merchants] = await Promise.all([deps.stores.users.list(), deps.stores.merchants.list()]);
  const names = new Map(merchants.map((m) => [m.id, m.name]));
  return {
    users: users.map((u) => ({ email: u.email, role: u.role, merchantName: u.merchantId ? (names.get(u.merchantId) ?? '') : '', createdAt: u.createdAt })),
    merchants: merchants.map((m) => ({ id: m.id, name: m.name })),
  };
}
