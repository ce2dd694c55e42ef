import { randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit/audit.js';
import { requireRole } from '../auth/authorize.js';
import { passwordProblem } from '../auth/credentials.js';
import { hashPassword } from '../auth/passwords.js';
import { seesAllOrganizations, type Actor, type Principal, type Role } from '../auth/principal.js';
import { Conflict, NotFound, Refused } from '../errors.js';
import { findOrganization } from '../db/organizations-repo.js';
import { clearUserThrottles, revokeUserSessions } from '../db/sessions-repo.js';
import {
  anyUserExists,
  findUserById,
  findUserByUsername,
  insertUser,
  listUsers,
  lockUser,
  updateUser,
  type UserRow,
} from '../db/users-repo.js';

/** A user as the API shows it (never the password hash). */
export interface User {
  id: string;
  username: string;
  role: Role;
  organizationId: string | null;
  fullName: string | null;
  createdAt: string;
  disabled: boolean;
  mustChangePassword: boolean;
}

/** User accounts. */
export class UserService {
  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
  ) {}

  /** Creates a user (admin). `agency` and `signer` users must belong to an organization. */
  async create(
    actor: Actor,
    input: { username: string; password: string; role: Role; organizationId?: string; fullName?: string },
  ): Promise<User> {
    requireRole(actor.principal, 'admin');
    const problem = passwordProblem(input.password, input.username);
    if (problem) throw new Refused(`the password ${problem}`, [{ path: 'password', message: problem }]);
    requireOrganizationFor(input.role, input.organizationId ?? null);
    const passwordHash = await hashPassword(input.password);
    return this.knex.transaction(async (trx) => {
      if (input.organizationId && !(await findOrganization(trx, input.organizationId))) {
        throw new Refused('organization does not exist', [{ path: 'organizationId', message: 'unknown organization' }]);
      }
      // Usernames are case-insensitive; the unique index on lower(username) settles a race.
      if (await findUserByUsername(trx, input.username)) {
        throw new Conflict(`username ${input.username} is taken`);
      }
      const row: UserRow = {
        id: randomUUID(),
        username: input.username,
        password_hash: passwordHash,
        role: input.role,
        organization_id: input.organizationId ?? null,
        full_name: input.fullName ?? null,
        created_at: this.clock.now(),
      };
      await insertUser(trx, row).catch((err: unknown) => {
        if ((err as { code?: string }).code === '23505') throw new Conflict(`username ${input.username} is taken`);
        throw err;
      });
      await recordAudit(trx, this.clock, actor, {
        action: 'user.create',
        target: { type: 'user', id: row.id },
        details: { username: row.username, role: row.role, organizationId: row.organization_id },
      });
      return toUser(row);
    });
  }

  /** Users the principal may see: all for admin, officer and auditor; its organization's for agency. */
  async list(
    principal: Principal,
    q: { organizationId?: string; role?: string; cursor?: string; limit: number },
  ): Promise<{ items: User[]; nextCursor: string | null }> {
    requireRole(principal, 'admin', 'officer', 'auditor', 'agency');
    const organizationId = seesAllOrganizations(principal) ? q.organizationId : principal.organizationId!;
    const rows = await listUsers(this.knex, { organizationId, role: q.role, afterUsername: q.cursor, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    return { items: page.map(toUser), nextCursor: rows.length > q.limit ? page[page.length - 1]!.username : null };
  }

  /** One user; 404 when unknown or outside the principal's organization. */
  async get(principal: Principal, id: string): Promise<User> {
    const row = await findUserById(this.knex, id);
    const visible =
      row && (seesAllOrganizations(principal) || principal.id === id || (principal.role === 'agency' && row.organization_id === principal.organizationId));
    if (!row || !visible) throw new NotFound('user not found');
    return toUser(row);
  }

  /**
   * Changes a user (admin; api.md "Organizations, users, sectors"): full name, role, organization,
   * disabled. Disabling ends the user's sessions at once. An admin cannot disable or demote itself,
   * so the last admin cannot lock everyone out by mistake.
   */
  async update(
    actor: Actor,
    id: string,
    input: { fullName?: string | null; role?: Role; organizationId?: string | null; disabled?: boolean },
  ): Promise<User> {
    requireRole(actor.principal, 'admin');
    const now = this.clock.now();
    return this.knex.transaction(async (trx) => {
      const current = await lockUser(trx, id);
      if (!current) throw new NotFound('user not found');
      if (current.id === actor.principal!.id && (input.disabled === true || (input.role && input.role !== current.role))) {
        throw new Conflict('an admin cannot disable or change the role of its own account');
      }
      const role = input.role ?? current.role;
      const organizationId = input.organizationId !== undefined ? input.organizationId : current.organization_id;
      requireOrganizationFor(role, organizationId);
      if (organizationId && organizationId !== current.organization_id && !(await findOrganization(trx, organizationId))) {
        throw new Refused('organization does not exist', [{ path: 'organizationId', message: 'unknown organization' }]);
      }
      const changes: Parameters<typeof updateUser>[2] = {};
      if (input.fullName !== undefined) changes.full_name = input.fullName;
      if (input.role !== undefined) changes.role = input.role;
      if (input.organizationId !== undefined) changes.organization_id = input.organizationId;
      if (input.disabled !== undefined && input.disabled !== Boolean(current.disabled_at)) {
        changes.disabled_at = input.disabled ? now : null;
      }
      const row = Object.keys(changes).length ? (await updateUser(trx, id, changes))! : current;
      // A changed role or organization changes what the sessions may see: they end too.
      const endSessions = Boolean(changes.disabled_at) || changes.role !== undefined || changes.organization_id !== undefined;
      const sessionsEnded = endSessions ? await revokeUserSessions(trx, id, now) : 0;
      await recordAudit(trx, this.clock, actor, {
        action: 'user.update',
        target: { type: 'user', id },
        details: {
          ...(input.fullName !== undefined ? { fullName: input.fullName } : {}),
          ...(input.role !== undefined ? { role: input.role } : {}),
          ...(input.organizationId !== undefined ? { organizationId: input.organizationId } : {}),
          ...(input.disabled !== undefined ? { disabled: input.disabled } : {}),
          sessionsEnded,
        },
      });
      return toUser(row);
    });
  }

  /**
   * Gives a user a new random password (admin): it must be changed at the next login, every
   * session of the user ends, and its login throttling is cleared. Returns the password once.
   */
  async resetPassword(actor: Actor, id: string): Promise<{ temporaryPassword: string }> {
    requireRole(actor.principal, 'admin');
    // 18 random bytes: 24 base64url characters, 144 bits; never a common password.
    const temporaryPassword = randomBytes(18).toString('base64url');
    const hash = await hashPassword(temporaryPassword);
    await this.knex.transaction(async (trx) => {
      const user = await lockUser(trx, id);
      if (!user) throw new NotFound('user not found');
      await updateUser(trx, id, { password_hash: hash, must_change_password: true });
      const sessionsEnded = await revokeUserSessions(trx, id, this.clock.now());
      await clearUserThrottles(trx, user.username.toLowerCase());
      await recordAudit(trx, this.clock, actor, {
        action: 'user.reset-password',
        target: { type: 'user', id },
        details: { username: user.username, sessionsEnded },
      });
    });
    return { temporaryPassword };
  }

  /** Clears a user's login throttling from every address (admin). */
  async unlock(actor: Actor, id: string): Promise<void> {
    requireRole(actor.principal, 'admin');
    await this.knex.transaction(async (trx) => {
      const user = await findUserById(trx, id);
      if (!user) throw new NotFound('user not found');
      const cleared = await clearUserThrottles(trx, user.username.toLowerCase());
      await recordAudit(trx, this.clock, actor, {
        action: 'user.unlock',
        target: { type: 'user', id },
        details: { username: user.username, cleared },
      });
    });
  }

  /**
   * Creates the bootstrap `admin` on first start. Returns the generated password when none
   * was configured, so the caller can print it once.
   */
  async bootstrapAdmin(configuredPassword: string | undefined, generate: () => string): Promise<string | undefined> {
    if (await anyUserExists(this.knex)) return undefined;
    const password = configuredPassword ?? generate();
    const row: UserRow = {
      id: randomUUID(),
      username: 'admin',
      password_hash: await hashPassword(password),
      role: 'admin',
      organization_id: null,
      full_name: 'Administrator',
      created_at: this.clock.now(),
    };
    const created = await this.knex.transaction(async (trx) => {
      // Instances starting together on an empty database: the first creates the admin, the others see it.
      await trx.raw('select pg_advisory_xact_lock(7215006)');
      if (await anyUserExists(trx)) return false;
      await insertUser(trx, row);
      await recordAudit(trx, this.clock, { principal: null, ip: null }, {
        action: 'user.bootstrap',
        target: { type: 'user', id: row.id },
        details: { username: 'admin' },
      });
      return true;
    });
    if (!created) return undefined;
    return configuredPassword ? undefined : password;
  }
}

/** The API view of a user row. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    organizationId: row.organization_id,
    fullName: row.full_name,
    createdAt: new Date(row.created_at).toISOString(),
    disabled: Boolean(row.disabled_at),
    mustChangePassword: Boolean(row.must_change_password),
  };
}

/** `agency` and `signer` users belong to an organization (product.md). */
function requireOrganizationFor(role: Role, organizationId: string | null): void {
  if ((role === 'agency' || role === 'signer') && !organizationId) {
    throw new Refused(`a ${role} user must belong to an organization`, [{ path: 'organizationId', message: 'required for this role' }]);
  }
}
