import { findUserByUsername } from '../db/users-repo.js';
import type { CliContext } from './context.js';
import { CommandFailed } from './errors.js';

/**
 * `kyso users reset-password <username>`: UserService.resetPassword as the admin API does it (a
 * random password to change at the next login, every session ended, throttling cleared, audited);
 * returns the password to print once.
 */
export async function resetPassword(ctx: CliContext, username: string): Promise<string> {
  const user = await findUserByUsername(ctx.services.knex, username);
  if (!user) throw new CommandFailed(`no user "${username}"`);
  const { temporaryPassword } = await ctx.services.users.resetPassword(await ctx.actor(), user.id);
  return temporaryPassword;
}
