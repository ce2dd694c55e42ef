import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { Forbidden, Refused, TooManyRequests, Unauthenticated } from '../errors.js';
import { recordAudit } from '../audit/audit.js';
import {
  capThrottles,
  clearThrottle,
  countFailure,
  findSessionUser,
  findThrottles,
  insertSession,
  revokeSession,
  revokeUserSessions,
  sweepThrottles,
} from '../db/sessions-repo.js';
import { findUserById, findUserByUsername, lockUser, updateUser, type UserRow } from '../db/users-repo.js';
import { passwordProblem } from './credentials.js';
import { hashPassword, PasswordHashingBusy, UNMATCHABLE_HASH, verifyPassword } from './passwords.js';
import type { Actor, Principal } from './principal.js';

/** Wrong passwords for one username from one client address within the window before that pair is blocked. */
export const MAX_LOGIN_FAILURES = 5;
/** Failed logins from one client address (any usernames) within the window before the address is blocked. */
export const MAX_ADDRESS_FAILURES = 30;
const FAILURE_WINDOW_MS = 15 * 60 * 1000;
const BLOCK_MS = 15 * 60 * 1000;
/** Most throttle rows kept; see capThrottles. */
const MAX_THROTTLE_ROWS = 100_000;

/** What a successful login returns. */
export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: Principal;
  /** Set after an admin's reset: only `POST /api/v1/auth/password` is allowed until it is changed. */
  mustChangePassword: boolean;
}

/**
 * The address throttling counts against: IPv4 as is (also when IPv4-mapped), IPv6 by its /64, since
 * one subscriber usually holds a whole /64 and could otherwise spray from 2^64 addresses.
 */
export function throttleAddress(ip: string | null): string {
  if (!ip) return '';
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return v4[1]!;
  if (isIP(ip) !== 6) return ip;
  const [head, tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/**
 * Password login, opaque bearer tokens (stored hashed) and login throttling (api.md "Auth"):
 * failures are counted per (username, client address) and per client address, so a stranger
 * elsewhere cannot lock a user out and one address cannot spray passwords over many usernames.
 */
export class AuthService {
  private failuresSinceCap = 0;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly tokenTtlSeconds: number,
  ) {}

  /** Checks the password and opens a session; 401 for bad credentials, 429 while blocked, 403 when disabled. */
  async login(username: string, password: string, ip: string | null): Promise<LoginResult> {
    const now = this.clock.now();
    const name = username.toLowerCase();
    const address = throttleAddress(ip);
    await this.refuseWhileBlocked(name, address, now);
    const user = await findUserByUsername(this.knex, name);
    const ok = await this.checkPassword(password, user?.password_hash ?? UNMATCHABLE_HASH);
    if (!user || !ok) {
      await this.recordFailure(username, address, ip, user, user ? 'wrong-password' : 'unknown-user');
      throw new Unauthenticated('wrong username or password');
    }
    if (user.disabled_at) {
      await this.auditFailure(username, ip, user, 'disabled');
      throw new Forbidden('this account is disabled');
    }
    await clearThrottle(this.knex, name, address);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.tokenTtlSeconds * 1000);
    const principal = toPrincipal(user);
    await this.knex.transaction(async (trx) => {
      await insertSession(trx, { token_hash: hashToken(token), user_id: user.id, created_at: now, expires_at: expiresAt });
      await recordAudit(trx, this.clock, { principal, ip }, { action: 'auth.login', target: { type: 'user', id: user.id } });
    });
    return { token, expiresAt, user: principal, mustChangePassword: Boolean(user.must_change_password) };
  }

  /**
   * 429 while the (username, address) pair or the address is blocked, with Retry-After the time
   * left of the longest block.
   */
  private async refuseWhileBlocked(username: string, address: string, now: Date): Promise<void> {
    const blockedUntil = (await findThrottles(this.knex, username.toLowerCase(), address))
      .map((row) => row.blocked_until)
      .filter((until): until is Date => until !== null && until > now)
      .sort((a, b) => b.getTime() - a.getTime())[0];
    if (blockedUntil) {
      throw new TooManyRequests('too many failed logins; try again later', Math.ceil((blockedUntil.getTime() - now.getTime()) / 1000));
    }
  }

  /** Verifies a password, turning a full hashing queue into a 429. */
  private async checkPassword(password: string, hash: string): Promise<boolean> {
    try {
      return await verifyPassword(password, hash);
    } catch (err) {
      if (err instanceof PasswordHashingBusy) throw new TooManyRequests('the service is busy checking passwords; try again', 1);
      throw err;
    }
  }

  /** Counts a failure against the (username, address) pair and the address, audits it, and keeps the table bounded. */
  private async recordFailure(
    username: string,
    address: string,
    ip: string | null,
    user: UserRow | undefined,
    reason: string,
  ): Promise<void> {
    const now = this.clock.now();
    const limits = { windowMs: FAILURE_WINDOW_MS, blockMs: BLOCK_MS };
    const pair = await countFailure(this.knex, { username: username.toLowerCase(), ip: address }, now, { ...limits, max: MAX_LOGIN_FAILURES });
    const whole = await countFailure(this.knex, { username: '', ip: address }, now, { ...limits, max: MAX_ADDRESS_FAILURES });
    await this.auditFailure(username, ip, user, reason, {
      failures: pair.failures,
      addressFailures: whole.failures,
      ...(pair.failures === MAX_LOGIN_FAILURES || whole.failures === MAX_ADDRESS_FAILURES ? { blocked: true } : {}),
    });
    await sweepThrottles(this.knex, new Date(now.getTime() - FAILURE_WINDOW_MS), now);
    if (++this.failuresSinceCap >= 256) {
      this.failuresSinceCap = 0;
      await capThrottles(this.knex, MAX_THROTTLE_ROWS, now);
    }
  }

  private async auditFailure(
    username: string,
    ip: string | null,
    user: UserRow | undefined,
    reason: string,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    await this.knex.transaction((trx) =>
      recordAudit(trx, this.clock, { principal: null, ip }, {
        action: 'auth.login-failed',
        target: user ? { type: 'user', id: user.id } : undefined,
        details: { username: username.slice(0, 64), reason, ...extra },
      }),
    );
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

  /**
   * Changes the caller's own password (api.md "Auth"): the current one must be right (a wrong one
   * counts as a failed login, so a stolen session cannot be used to guess it), the new one must
   * follow the rules; every other session of the user ends. Clears `mustChangePassword`.
   */
  async changePassword(actor: Actor, token: string, input: { currentPassword: string; newPassword: string }): Promise<void> {
    const principal = actor.principal!;
    const address = throttleAddress(actor.ip);
    const user = await findUserById(this.knex, principal.id);
    if (!user) throw new Unauthenticated('authentication required');
    await this.refuseWhileBlocked(user.username, address, this.clock.now());
    if (!(await this.checkPassword(input.currentPassword, user.password_hash))) {
      await this.recordFailure(user.username, address, actor.ip, user, 'wrong-current-password');
      throw new Forbidden('the current password is wrong');
    }
    const problem = passwordProblem(input.newPassword, user.username);
    if (problem) throw new Refused(`the new password ${problem}`, [{ path: 'newPassword', message: problem }]);
    if (input.newPassword === input.currentPassword) {
      throw new Refused('the new password must differ from the current one', [{ path: 'newPassword', message: 'same as the current password' }]);
    }
    const hash = await hashPassword(input.newPassword);
    await this.knex.transaction(async (trx) => {
      await lockUser(trx, user.id);
      await updateUser(trx, user.id, { password_hash: hash, must_change_password: false });
      const ended = await revokeUserSessions(trx, user.id, this.clock.now(), hashToken(token));
      await recordAudit(trx, this.clock, actor, {
        action: 'user.password-change',
        target: { type: 'user', id: user.id },
        details: { sessionsEnded: ended },
      });
    });
  }
}

/** The principal of a user row. */
export function toPrincipal(user: UserRow): Principal {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    organizationId: user.organization_id,
    ...(user.must_change_password ? { mustChangePassword: true } : {}),
  };
}

/** The stored form of a bearer token. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
