import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { TooManyRequests, Unauthenticated } from '../errors.js';
import { recordAudit } from '../audit/audit.js';
import {
  clearThrottle,
  findSessionUser,
  findThrottle,
  insertSession,
  revokeSession,
  saveThrottle,
} from '../db/sessions-repo.js';
import { findUserByUsername, type UserRow } from '../db/users-repo.js';
import { UNMATCHABLE_HASH, verifyPassword } from './passwords.js';
import type { Principal } from './principal.js';

/** Wrong passwords allowed for one username within the window before it is blocked. */
export const MAX_LOGIN_FAILURES = 5;
const FAILURE_WINDOW_MS = 15 * 60 * 1000;
const BLOCK_MS = 15 * 60 * 1000;

/** What a successful login returns. */
export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: Principal;
}

/** Password login, opaque bearer tokens (stored hashed) and per-username throttling. */
export class AuthService {
  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly tokenTtlSeconds: number,
  ) {}

  /** Checks the password and opens a session; 401 for bad credentials, 429 while blocked. */
  async login(username: string, password: string, ip: string | null): Promise<LoginResult> {
    const now = this.clock.now();
    const throttle = await findThrottle(this.knex, username);
    if (throttle?.blocked_until && throttle.blocked_until > now) {
      throw new TooManyRequests(
        'too many failed logins for this user; try again later',
        Math.ceil((throttle.blocked_until.getTime() - now.getTime()) / 1000),
      );
    }
    const user = await findUserByUsername(this.knex, username);
    const ok = await verifyPassword(password, user?.password_hash ?? UNMATCHABLE_HASH);
    if (!user || !ok) {
      await this.recordFailure(username, now, throttle);
      throw new Unauthenticated('wrong username or password');
    }
    if (throttle) await clearThrottle(this.knex, username);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.tokenTtlSeconds * 1000);
    const principal = toPrincipal(user);
    await this.knex.transaction(async (trx) => {
      await insertSession(trx, { token_hash: hashToken(token), user_id: user.id, created_at: now, expires_at: expiresAt });
      await recordAudit(trx, this.clock, { principal, ip }, { action: 'auth.login', target: { type: 'user', id: user.id } });
    });
    return { token, expiresAt, user: principal };
  }

  private async recordFailure(
    username: string,
    now: Date,
    previous: { failures: number; window_start: Date } | undefined,
  ): Promise<void> {
    const inWindow = previous && now.getTime() - previous.window_start.getTime() < FAILURE_WINDOW_MS;
    const failures = inWindow ? previous.failures + 1 : 1;
    await saveThrottle(this.knex, {
      username,
      failures,
      window_start: inWindow ? previous.window_start : now,
      blocked_until: failures >= MAX_LOGIN_FAILURES ? new Date(now.getTime() + BLOCK_MS) : null,
    });
  }

  /** The principal of a live token, or undefined. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const user = await findSessionUser(this.knex, hashToken(token), this.clock.now());
    return user ? toPrincipal(user) : undefined;
  }

  /** Ends the session of `token`. */
  async logout(token: string, principal: Principal, ip: string | null): Promise<void> {
    await this.knex.transaction(async (trx) => {
      if (await revokeSession(trx, hashToken(token), this.clock.now())) {
        await recordAudit(trx, this.clock, { principal, ip }, { action: 'auth.logout', target: { type: 'user', id: principal.id } });
      }
    });
  }
}

/** The principal of a user row. */
export function toPrincipal(user: UserRow): Principal {
  return { id: user.id, username: user.username, role: user.role, organizationId: user.organization_id };
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
