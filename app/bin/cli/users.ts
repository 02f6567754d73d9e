/** users invite | password-link | disable | setup-link: the operator's side of the admin's Users page, without passwords typed by anyone but the user. */
import { parseArgs } from 'node:util';
import type { Runtime } from '../bootstrap.js';
import { EmailTakenError } from '../../store/users.js';
import { INVITE_TTL_MS, passwordLink } from '../../admin/users/service.js';
import { issueSetupLinkIfNeeded, SETUP_LINK_TTL_MS } from '../../admin/auth/service.js';
import { recordChange } from '../../admin/audit.js';
import { email as emailField } from '../../admin/auth/fields.js';
import { UsageError, type Command, type Io } from './io.js';
import { merchantArg } from './merchant-arg.js';

const deps = (runtime: Runtime) => ({ ...runtime, publicUrl: runtime.config.publicUrl });

async function userByEmail(runtime: Runtime, email: string | undefined) {
  if (!email) throw new UsageError("give the user's e-mail address");
  const user = await runtime.stores.users.byEmail(email.trim().toLowerCase());
  if (!user) throw new UsageError(`no user with e-mail ${email}`);
  return user;
}

async function usersInvite(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { email: { type: 'string' }, merchant: { type: 'string' }, role: { type: 'string', default: 'owner' } },
    strict: true,
  });
  if (!values.email?.trim()) throw new UsageError('users invite needs --email ADDRESS');
  // The sign-in form's own check: an address it refuses could never sign in.
  const parsed = emailField.safeParse(values.email);
  if (!parsed.success) throw new UsageError(`--email ${values.email} is not an address the sign-in form accepts (name@domain.tld)`);
  const email = parsed.data;
  if (values.role !== 'owner' && values.role !== 'staff') throw new UsageError('--role must be owner or staff');
  const merchant = await merchantArg(runtime, values.merchant, 'users invite needs --merchant ID');
  let created;
  try {
    created = await runtime.stores.users.add(
      { email, passwordHash: '', role: 'merchant', merchantId: merchant.id, merchantRole: values.role },
      runtime.clock(),
    );
  } catch (err) {
    if (err instanceof EmailTakenError) throw new UsageError(`a user with e-mail ${email} already exists (users password-link ${email} sends them a new link)`);
    throw err;
  }
  await recordChange(runtime, null, merchant.id, 'user_invited', { email, role: values.role });
  const { url } = await passwordLink(deps(runtime), null, created.id);
  io.out(`Invited ${email} (${values.role}) to ${merchant.name}. Send them this one-time link (valid ${INVITE_TTL_MS / 86_400_000} days, shown only now):`);
  io.out(url);
}

async function usersPasswordLink(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const user = await userByEmail(runtime, args[0]);
  const { url } = await passwordLink(deps(runtime), null, user.id);
  io.out(`One-time link for ${user.email} to choose a ${user.hasPassword ? 'new ' : ''}password (shown only now):`);
  io.out(url);
}

async function usersDisable(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const user = await userByEmail(runtime, args[0]);
  await runtime.stores.users.disable(user.id, runtime.clock());
  await recordChange(runtime, null, user.merchantId, 'user_disabled', { email: user.email });
  io.out(`Disabled ${user.email}: signed out everywhere, cannot sign in.`);
}

/**
 * The first operator's setup link, printed only here: outside demo mode the gateway does not put it
 * in its log, where log collectors would keep a working link to create an operator.
 */
async function usersSetupLink(runtime: Runtime, _args: string[], io: Io): Promise<number> {
  const url = await issueSetupLinkIfNeeded(deps(runtime));
  if (!url) {
    io.out(
      'An operator exists already: no setup link. Operators invite users (Users in the admin, or users invite); users password-link E sends a new password link.',
    );
    return 1;
  }
  io.out(`One-time link to create the first operator (valid ${SETUP_LINK_TTL_MS / 3_600_000} hours, shown only now):`);
  io.out(url);
  return 0;
}

export const userCommands: Record<string, Command> = {
  'users invite': usersInvite,
  'users password-link': usersPasswordLink,
  'users disable': usersDisable,
  'users setup-link': usersSetupLink,
};
