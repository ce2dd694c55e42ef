import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit/audit.js';
import { requireRole } from '../auth/authorize.js';
import { hashPassword } from '../auth/passwords.js';
import { seesAllOrganizations, type Actor, type Principal, type Role } from '../auth/principal.js';
import { Conflict, NotFound, Refused } from '../errors.js';
import { findOrganization } from '../db/organizations-repo.js';
import { anyUserExists, findUserById, findUserByUsername, insertUser, listUsers, type UserRow } from '../db/users-repo.js';

/** Minimum password length (issue: at least 10 characters). */
export const MIN_PASSWORD_LENGTH = 10;

/** A user as the API shows it (never the password hash). */
export interface User {
  id: string;
  username: string;
  role: Role;
  organizationId: string | null;
  fullName: string | null;
  createdAt: string;
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
    if (input.password.length < MIN_PASSWORD_LENGTH) {
      throw new Refused(`password must be at least ${MIN_PASSWORD_LENGTH} characters`, [
        { path: 'password', message: `at least ${MIN_PASSWORD_LENGTH} characters` },
      ]);
    }
    if ((input.role === 'agency' || input.role === 'signer') && !input.organizationId) {
      throw new Refused(`a ${input.role} user must belong to an organization`, [
        { path: 'organizationId', message: 'required for this role' },
      ]);
    }
    const passwordHash = await hashPassword(input.password);
    return this.knex.transaction(async (trx) => {
      if (input.organizationId && !(await findOrganization(trx, input.organizationId))) {
        throw new Refused('organization does not exist', [{ path: 'organizationId', message: 'unknown organization' }]);
      }
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
      await insertUser(trx, row);
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
    await this.knex.transaction(async (trx) => {
      await insertUser(trx, row);
      await recordAudit(trx, this.clock, { principal: null, ip: null }, {
        action: 'user.bootstrap',
        target: { type: 'user', id: row.id },
        details: { username: 'admin' },
      });
    });
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
  };
}
