import { createPrivateKey, generateKeyPair, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit, type AuditEvent } from '../audit/audit.js';
import { requireRole } from '../auth/authorize.js';
import { seesAllOrganizations, type Actor, type Principal } from '../auth/principal.js';
import type { CertificateAuthorities } from '../ca/authorities.js';
import { decodeCursor, encodeCursor } from '../certificates/cursor.js';
import type { IssuanceService, SubjectInput } from '../certificates/issuance.js';
import type { Clock } from '../clock.js';
import { findOrganizations } from '../db/certificates-repo.js';
import {
  findSigningAccount,
  insertSigningAccounts,
  listSigningAccounts,
  recordPinFailure,
  updateSigningAccount,
  type KeyAlgorithm,
  type SigningAccountRecord,
  type SigningAccountRow,
} from '../db/signing-repo.js';
import type { UserRow } from '../db/users-repo.js';
import { Conflict, DomainError, Forbidden, Locked, NotFound, Refused } from '../errors.js';
import type { RandomSource } from '../pki/serial.js';
import type { KeyObjectSigner } from '../pki/signer.js';
import { problemOf, type BatchItem } from '../requests/requests.js';
import { PIN_PATTERN, unwrapWithPin, wrapWithPin } from './pin-key.js';
import { SignerPool } from './signer-pool.js';

/** Consecutive wrong PINs after which an account is locked until an officer unlocks it. */
export const MAX_PIN_ATTEMPTS = 5;

/** What an officer gives to open an account for a signer. */
export interface SigningAccountInput {
  userId: string;
  organizationId: string;
  pin: string;
  commonName: string;
  uid: SubjectInput['uid'];
  keyAlgorithm?: KeyAlgorithm;
}

/** A signing account as the API shows it (never the key). */
export interface SigningAccountView {
  id: string;
  userId: string;
  organizationId: string;
  certificateSerial: string;
  certificateStatus: 'active' | 'suspended' | 'revoked' | 'expired';
  commonName: string | null;
  keyAlgorithm: KeyAlgorithm;
  status: 'active' | 'locked';
  failedPinAttempts: number;
  lockedAt: string | null;
  createdAt: string;
  notAfter: string;
}

/** An account whose key the PIN opened: a Signer and the certificates to embed (signer's first). */
export interface UnlockedAccount {
  readonly account: SigningAccountRecord;
  readonly signer: KeyObjectSigner;
  /** The key itself, for re-wrapping under a new PIN. */
  readonly pkcs8: Buffer;
  readonly certificates: Buffer[];
}

/**
 * Centralized signing accounts (product.md `remote` medium): kyso generates the key, issues its
 * certificate through the normal lifecycle, and keeps the key wrapped under the holder's PIN and
 * the master key. Only the holder can use it; five wrong PINs lock it.
 */
export class SigningAccountService {
  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly masterKey: Buffer,
    private readonly issuance: IssuanceService,
    private readonly authorities: CertificateAuthorities,
    private readonly pool = new SignerPool(),
  ) {}

  /** Opens one account (officer, admin); throws what its batch item would carry. */
  async create(actor: Actor, input: SigningAccountInput): Promise<SigningAccountView> {
    const [item] = await this.provision(actor, [{ input }]);
    if (item!.cause) throw item!.cause;
    return item!.result!;
  }

  /**
   * Opens many accounts (officer, admin): rows that fail validation are reported, the others are
   * provisioned together — keys and PIN wrapping in parallel outside the database, then all
   * certificates issued and all accounts stored in one transaction.
   */
  async provision(
    actor: Actor,
    rows: Array<{ input?: SigningAccountInput; cause?: DomainError }>,
  ): Promise<Array<BatchItem<SigningAccountView> & { cause?: DomainError }>> {
    requireRole(actor.principal, 'officer', 'admin');
    const inputs = rows.flatMap((r) => (r.input ? [r.input] : []));
    const users = await this.users(inputs.map((i) => i.userId));
    const organizations = await findOrganizations(this.knex, [...new Set(inputs.map((i) => i.organizationId))]);
    const causes = new Map<number, DomainError>();
    const refuse = (index: number, err: unknown) => {
      if (!(err instanceof DomainError)) throw err;
      causes.set(index, err);
    };
    const candidates: Array<{ index: number; input: SigningAccountInput }> = [];
    rows.forEach((row, index) => {
      try {
        if (row.cause) throw row.cause;
        const input = row.input!;
        if (!PIN_PATTERN.test(input.pin)) throw new Refused('the PIN must be 6 to 8 digits', [{ path: 'pin', message: '6 to 8 digits' }]);
        const user = users.get(input.userId);
        if (!user || user.role !== 'signer' || user.organization_id !== input.organizationId) {
          throw new Refused('userId must be a signer of that organization', [{ path: 'userId', message: 'not a signer of the organization' }]);
        }
        candidates.push({ index, input });
      } catch (err) {
        refuse(index, err);
      }
    });
    const now = this.clock.now();
    // Key generation and PIN stretching are the cost (PIN_KDF_COST): scrypt runs on the thread pool.
    const prepared = (
      await Promise.all(
        candidates.map(async ({ index, input }) => {
          const keyAlgorithm = input.keyAlgorithm ?? 'ecdsa-p256';
          const { publicKeyInfo, pkcs8 } = await generateKey(keyAlgorithm);
          try {
            this.issuance.check(this.issueInput(input, publicKeyInfo), organizations.get(input.organizationId));
          } catch (err) {
            refuse(index, err);
            return [];
          }
          const id = randomUUID();
          const { wrappedKey, kdf } = await wrapWithPin(this.masterKey, this.random, id, input.pin, pkcs8);
          return [{ index, input, id, keyAlgorithm, publicKeyInfo, wrappedKey, kdf }];
        }),
      )
    ).flat();
    const views = new Map<number, SigningAccountView>();
    if (prepared.length) {
      await this.knex.transaction(async (trx) => {
        const issued = await this.issuance.issueManyInTransaction(
          trx,
          actor,
          prepared.map((p) => this.issueInput(p.input, p.publicKeyInfo)),
        );
        const accounts: SigningAccountRow[] = prepared.map((p, i) => ({
          id: p.id,
          user_id: p.input.userId,
          organization_id: p.input.organizationId,
          certificate_id: issued[i]!.id,
          key_algorithm: p.keyAlgorithm,
          wrapped_key: p.wrappedKey,
          kdf: p.kdf,
          status: 'active',
          failed_pin_attempts: 0,
          locked_at: null,
          created_by: actor.principal!.id,
          created_at: now,
          updated_at: now,
        }));
        await insertSigningAccounts(trx, accounts);
        await recordAudit(
          trx,
          this.clock,
          actor,
          prepared.map((p, i) => ({
            action: 'signing-account.create',
            target: { type: 'signing-account', id: p.id },
            details: { userId: p.input.userId, organizationId: p.input.organizationId, certificateSerial: issued[i]!.serial, keyAlgorithm: p.keyAlgorithm },
          })),
        );
        prepared.forEach((p, i) => {
          const cert = issued[i]!;
          views.set(
            p.index,
            toView({
              ...accounts[i]!,
              serial: cert.serial,
              certificate_status: 'active',
              certificate_der: cert.der,
              issuer_ca_id: null,
              not_before: cert.notBefore,
              not_after: cert.notAfter,
              common_name: p.input.commonName,
            }, now),
          );
        });
      });
    }
    return rows.map((_, index) => {
      const cause = causes.get(index);
      if (cause) return { index, status: 'error', error: problemOf(cause), cause };
      const view = views.get(index)!;
      return { index, id: view.id, status: 'active', result: view };
    });
  }

  /** Accounts the caller may see: officers, admins and auditors all; an agency its organization's; a signer its own. */
  async list(
    principal: Principal,
    query: { organizationId?: string; limit: number; cursor?: string },
  ): Promise<{ items: SigningAccountView[]; nextCursor: string | null }> {
    const scope = seesAllOrganizations(principal)
      ? { organizationId: query.organizationId }
      : principal.role === 'signer'
        ? { organizationId: query.organizationId, userId: principal.id }
        : { organizationId: principal.organizationId ?? undefined };
    if (!seesAllOrganizations(principal) && query.organizationId && query.organizationId !== principal.organizationId) {
      return { items: [], nextCursor: null };
    }
    const rows = await listSigningAccounts(this.knex, { ...scope, after: decodeCursor(query.cursor), limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const now = this.clock.now();
    const last = page[page.length - 1];
    return {
      items: page.map((r) => toView(r, now)),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  /** One account, if the caller may see it (404 otherwise). */
  async get(principal: Principal, id: string): Promise<SigningAccountView> {
    return toView(await this.visible(principal, id), this.clock.now());
  }

  /** Changes the PIN (the holder, with the current PIN): re-wraps the key under the new one. */
  async changePin(actor: Actor, id: string, pin: string, newPin: string): Promise<void> {
    if (!PIN_PATTERN.test(newPin)) throw new Refused('the new PIN must be 6 to 8 digits', [{ path: 'newPin', message: '6 to 8 digits' }]);
    if (newPin === pin) throw new Refused('the new PIN must differ from the current one', [{ path: 'newPin', message: 'same as the current PIN' }]);
    await this.openKey(actor, id, pin, { action: 'signing-account.pin-change' }, {
      allowExpired: true,
      write: async (unlocked, trx) => {
        const { wrappedKey, kdf } = await wrapWithPin(this.masterKey, this.random, id, newPin, unlocked.pkcs8);
        await updateSigningAccount(trx, id, { wrapped_key: wrappedKey, kdf, updated_at: this.clock.now() });
      },
    });
  }

  /** Unlocks a locked account and clears its wrong-PIN count (officer, admin). */
  async unlock(actor: Actor, id: string): Promise<SigningAccountView> {
    requireRole(actor.principal, 'officer', 'admin');
    return this.knex.transaction(async (trx) => {
      const account = await findSigningAccount(trx, id, true);
      if (!account) throw new NotFound('signing account not found');
      const now = this.clock.now();
      await updateSigningAccount(trx, id, { status: 'active', failed_pin_attempts: 0, locked_at: null, updated_at: now });
      await recordAudit(trx, this.clock, actor, {
        action: 'signing-account.unlock',
        target: { type: 'signing-account', id },
        details: { wasLocked: account.status === 'locked', failedPinAttempts: account.failed_pin_attempts },
      });
      return toView({ ...account, status: 'active', failed_pin_attempts: 0, locked_at: null }, now);
    });
  }

  /**
   * Opens the account's key with `pin` for its holder. Only the holder gets past the 404; a locked
   * account is a 423; a revoked, suspended or expired certificate a 409. A wrong PIN is counted
   * (the fifth locks the account) and audited before the 403. A right PIN commits `event` to the
   * audit trail — with `write`'s changes, in the same transaction — before the key is handed out:
   * the intent is on record before anything is signed, and the transaction stays short while
   * 1,000 hashes are signed.
   */
  async openKey(
    actor: Actor,
    id: string,
    pin: string,
    event: Omit<AuditEvent, 'target'>,
    options: { allowExpired?: boolean; write?: (unlocked: UnlockedAccount, trx: Knex.Transaction) => Promise<void> } = {},
  ): Promise<UnlockedAccount> {
    const principal = actor.principal;
    const account = principal ? await findSigningAccount(this.knex, id) : undefined;
    if (!account || account.user_id !== principal!.id) throw new NotFound('signing account not found');
    if (account.status === 'locked') throw lockedError();
    this.checkCertificate(account, options.allowExpired ?? false);
    // The slow KDF runs outside the transaction; the outcome is recorded under the row lock.
    const pkcs8 = PIN_PATTERN.test(pin) ? await unwrapWithPin(this.masterKey, id, pin, account.wrapped_key, account.kdf) : undefined;
    const outcome = await this.knex.transaction(async (trx) => {
      const current = await findSigningAccount(trx, id, true);
      if (!current || current.status === 'locked') return { kind: 'locked' as const };
      const now = this.clock.now();
      const target = { type: 'signing-account', id };
      if (!pkcs8) {
        const state = await recordPinFailure(trx, id, now, MAX_PIN_ATTEMPTS);
        const events: AuditEvent[] = [{ action: 'signing-account.pin-failure', target, details: { attempts: state.failed_pin_attempts } }];
        if (state.status === 'locked') events.push({ action: 'signing-account.lock', target, details: { attempts: state.failed_pin_attempts } });
        await recordAudit(trx, this.clock, actor, events);
        return { kind: 'wrong-pin' as const, state };
      }
      if (current.failed_pin_attempts > 0) await updateSigningAccount(trx, id, { failed_pin_attempts: 0, updated_at: now });
      await recordAudit(trx, this.clock, actor, { ...event, target });
      const signer = this.pool.signer(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }), pkcs8);
      const unlocked: UnlockedAccount = { account: current, signer, pkcs8, certificates: this.certificates(current) };
      await options.write?.(unlocked, trx);
      return { kind: 'ok' as const, value: unlocked };
    });
    if (outcome.kind === 'ok') return outcome.value;
    if (outcome.kind === 'locked' || outcome.state.status === 'locked') throw lockedError();
    const left = MAX_PIN_ATTEMPTS - outcome.state.failed_pin_attempts;
    throw new Forbidden(`wrong PIN: ${left} attempt${left === 1 ? '' : 's'} left before the account is locked`);
  }

  private checkCertificate(account: SigningAccountRecord, allowExpired: boolean): void {
    if (account.certificate_status !== 'active') {
      throw new Conflict(`the account's certificate ${account.serial} is ${account.certificate_status}: it cannot sign`);
    }
    if (!allowExpired && new Date(account.not_after) <= this.clock.now()) {
      throw new Conflict(`the account's certificate ${account.serial} expired on ${new Date(account.not_after).toISOString()}: it cannot sign`);
    }
  }

  /**
   * The certificates every signature embeds: the signer's and its CAs below the root. The root is
   * the relying party's trust anchor, so embedding it in each of 1,000 sign-hash results is waste.
   */
  private certificates(account: SigningAccountRecord): Buffer[] {
    const issuer = this.authorities.all().find((a) => a.row.id === account.issuer_ca_id);
    const chain = issuer ? this.authorities.chain(issuer).filter((a) => a.kind !== 'root').map((a) => a.certificateDer) : [];
    return [Buffer.from(account.certificate_der), ...chain];
  }

  private async visible(principal: Principal, id: string): Promise<SigningAccountRecord> {
    const account = await findSigningAccount(this.knex, id);
    const allowed =
      account &&
      (seesAllOrganizations(principal) ||
        (principal.role === 'signer' ? account.user_id === principal.id : account.organization_id === principal.organizationId));
    if (!allowed) throw new NotFound('signing account not found');
    return account;
  }

  private async users(ids: string[]): Promise<Map<string, UserRow>> {
    const unique = [...new Set(ids)];
    const rows: UserRow[] = unique.length ? await this.knex<UserRow>('users').whereIn('id', unique).select('*') : [];
    return new Map(rows.map((r) => [r.id, r]));
  }

  private issueInput(input: SigningAccountInput, publicKeyInfo: Uint8Array) {
    return {
      holder: 'individual' as const,
      medium: 'remote' as const,
      organizationId: input.organizationId,
      subject: { commonName: input.commonName, uid: input.uid },
      publicKeyInfo,
    };
  }
}

function lockedError(): Locked {
  return new Locked(`the signing account is locked after ${MAX_PIN_ATTEMPTS} wrong PINs: an officer must unlock it`);
}

/** A fresh key pair as DER (SubjectPublicKeyInfo, PKCS#8), generated on the thread pool. */
function generateKey(algorithm: KeyAlgorithm): Promise<{ publicKeyInfo: Buffer; pkcs8: Buffer }> {
  const encoding = { publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } } as const;
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKeyInfo: Buffer, pkcs8: Buffer) => (err ? reject(err) : resolve({ publicKeyInfo, pkcs8 }));
    if (algorithm === 'rsa-2048') generateKeyPair('rsa', { modulusLength: 2048, ...encoding }, done);
    else generateKeyPair('ec', { namedCurve: 'P-256', ...encoding }, done);
  });
}

function toView(row: SigningAccountRecord, now: Date): SigningAccountView {
  const notAfter = new Date(row.not_after);
  return {
    id: row.id,
    userId: row.user_id,
    organizationId: row.organization_id,
    certificateSerial: row.serial,
    certificateStatus: row.certificate_status === 'active' && notAfter <= now ? 'expired' : row.certificate_status,
    commonName: row.common_name,
    keyAlgorithm: row.key_algorithm,
    status: row.status,
    failedPinAttempts: row.failed_pin_attempts,
    lockedAt: row.locked_at ? new Date(row.locked_at).toISOString() : null,
    createdAt: new Date(row.created_at).toISOString(),
    notAfter: notAfter.toISOString(),
  };
}
