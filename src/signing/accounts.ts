import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit, type AuditEvent } from '../audit/audit.js';
import { requireRole } from '../auth/authorize.js';
import { requireStrongPin } from '../auth/credentials.js';
import { seesAllOrganizations, type Actor, type Principal } from '../auth/principal.js';
import type { CertificateAuthorities } from '../ca/authorities.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';
import type { IssuanceService, SubjectInput } from '../certificates/issuance.js';
import type { Clock } from '../clock.js';
import { findOrganizations } from '../db/organizations-repo.js';
import {
  accountDelegates,
  activeAccountUids,
  findAppearance,
  findSigningAccount,
  insertDelegates,
  insertSigningAccounts,
  listSigningAccounts,
  lockAccountOpening,
  recordPinFailure,
  setAppearance,
  updateSigningAccount,
  type AccountHolder,
  type KeyAlgorithm,
  type SigningAccountChanges,
  type SigningAccountRecord,
  type SigningAccountRow,
} from '../db/signing-repo.js';
import type { UserRow } from '../db/users-repo.js';
import { Conflict, DomainError, Forbidden, Locked, NotFound, Refused } from '../errors.js';
import type { KeyVault, OpenedAccountKey } from '../keys/vault.js';
import type { Signer } from '../pki/signer.js';
import { problemOf, type BatchItem } from '../shared/batch.js';
import { PIN_PATTERN } from '../keys/pin-key.js';

/** Consecutive wrong PINs after which an account is locked until an officer unlocks it. */
export const MAX_PIN_ATTEMPTS = 5;

/** What an officer gives to open an account for a signer, or for an organization and its delegates. */
export interface SigningAccountInput {
  /** Default `individual`. */
  holder?: AccountHolder;
  /** The holder of an individual account. */
  userId?: string;
  /** The signers of the organization who may sign with an organization account. */
  delegateUserIds?: string[];
  organizationId: string;
  pin: string;
  commonName: string;
  uid: SubjectInput['uid'];
  keyAlgorithm?: KeyAlgorithm;
}

/** A signing account as the API shows it (never the key). */
export interface SigningAccountView {
  id: string;
  holder: AccountHolder;
  userId: string | null;
  /** Organization accounts: the signers who may use it. */
  delegateUserIds?: string[];
  organizationId: string;
  certificateSerial: string;
  certificateStatus: 'active' | 'suspended' | 'revoked' | 'expired';
  commonName: string | null;
  keyAlgorithm: KeyAlgorithm;
  /**
   * `active` only while the account can sign: `locked` after wrong PINs; the certificate's state
   * when it is revoked, suspended or expired (#13 item 10).
   */
  status: 'active' | 'locked' | 'revoked' | 'suspended' | 'expired';
  failedPinAttempts: number;
  lockedAt: string | null;
  /** The first PIN, set by the officer, must be changed before the account signs. */
  mustChangePin: boolean;
  /** Whether a signature or seal image was uploaded for visible signatures. */
  hasAppearance: boolean;
  createdAt: string;
  notAfter: string;
}

/** An account whose key the PIN opened: a Signer and the certificates to embed (signer's first). */
export interface UnlockedAccount {
  readonly account: SigningAccountRecord;
  readonly signer: Signer;
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
    private readonly vault: KeyVault,
    private readonly issuance: IssuanceService,
    private readonly authorities: CertificateAuthorities,
  ) {}

  /** Opens one account (officer, admin); throws what its batch item would carry. */
  async create(actor: Actor, input: SigningAccountInput): Promise<SigningAccountView> {
    const [item] = await this.provision(actor, [{ input }]);
    if (item!.cause) throw item!.cause;
    return item!.result!;
  }

  /**
   * Opens many accounts (officer, admin): rows that fail validation are reported, the others are
   * provisioned together — validated, then keys and PIN wrapping in parallel outside the database,
   * then all certificates signed, and issued and stored with the accounts in one transaction.
   */
  async provision(
    actor: Actor,
    rows: Array<{ input?: SigningAccountInput; cause?: DomainError }>,
  ): Promise<Array<BatchItem<SigningAccountView> & { cause?: DomainError }>> {
    requireRole(actor.principal, 'officer', 'admin');
    const inputs = rows.flatMap((r) => (r.input ? [r.input] : []));
    const users = await this.users(inputs.flatMap((i) => [...(i.userId ? [i.userId] : []), ...(i.delegateUserIds ?? [])]));
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
        requireStrongPin(input.pin, 'pin');
        const isSigner = (userId: string | undefined) => {
          const user = userId ? users.get(userId) : undefined;
          return user?.role === 'signer' && user.organization_id === input.organizationId;
        };
        if ((input.holder ?? 'individual') === 'individual') {
          if (!isSigner(input.userId)) {
            throw new Refused('userId must be a signer of that organization', [{ path: 'userId', message: 'not a signer of the organization' }]);
          }
        } else {
          const delegates = input.delegateUserIds ?? [];
          const wrong = delegates.flatMap((id, i) => (isSigner(id) ? [] : [{ path: `delegateUserIds.${i}`, message: 'not a signer of the organization' }]));
          if (!delegates.length) throw new Refused('an organization account needs delegateUserIds: the signers who may use it', [{ path: 'delegateUserIds', message: 'at least one signer' }]);
          if (wrong.length) throw new Refused('every delegate must be a signer of that organization', wrong);
          if (input.userId) throw new Refused('an organization account has delegates, not a userId', [{ path: 'userId', message: 'not for an organization account' }]);
        }
        candidates.push({ index, input });
      } catch (err) {
        refuse(index, err);
      }
    });
    const now = this.clock.now();
    const duplicates = await this.duplicateAccounts(this.knex, candidates, now);
    for (const [index, cause] of duplicates) refuse(index, cause);
    // The subject, profile and organization are checked before a row pays for a key.
    const planned = candidates.flatMap(({ index, input }) => {
      if (duplicates.has(index)) return [];
      const keyAlgorithm = input.keyAlgorithm ?? 'ecdsa-p256';
      try {
        const plan = this.issuance.prepareBeforeKey(this.issueInput(input), organizations.get(input.organizationId));
        return [{ index, input, keyAlgorithm, plan }];
      } catch (err) {
        refuse(index, err);
        return [];
      }
    });
    // Key generation and PIN stretching are the cost (PIN_KDF_COST): scrypt runs on the thread pool.
    const prepared = await Promise.all(
      planned.map(async ({ plan, ...p }) => {
        const id = randomUUID();
        const { publicKeyInfo, wrappedKey, kdf } = await this.vault.generateAccountKey(id, p.input.pin, p.keyAlgorithm);
        return { ...p, id, wrappedKey, kdf, plan: { ...plan, input: { ...plan.input, publicKeyInfo } } };
      }),
    );
    const views = new Map<number, SigningAccountView>();
    if (prepared.length) {
      // The certificates are signed before the transaction opens (no lock held while the CA signs;
      // on PGlite's single connection the CA refresh inside would wait for ever).
      const signed = await this.issuance.sign(prepared.map((p) => p.plan));
      await this.knex.transaction(async (trx) => {
        // Checked again under a lock: two calls for one holder racing each other open one account.
        await lockAccountOpening(trx);
        const [raced] = await this.duplicateAccounts(trx, prepared, now);
        if (raced) throw raced[1];
        const issued = await this.issuance.store(trx, actor, signed);
        const accounts: SigningAccountRow[] = prepared.map((p, i) => ({
          id: p.id,
          user_id: p.input.userId ?? null,
          holder: p.input.holder ?? 'individual',
          organization_id: p.input.organizationId,
          certificate_id: issued[i]!.id,
          key_algorithm: p.keyAlgorithm,
          wrapped_key: p.wrappedKey,
          kdf: p.kdf,
          status: 'active',
          failed_pin_attempts: 0,
          locked_at: null,
          must_change_pin: true,
          created_by: actor.principal!.id,
          created_at: now,
          updated_at: now,
        }));
        await insertSigningAccounts(trx, accounts);
        await insertDelegates(
          trx,
          prepared.flatMap((p) => (p.input.holder === 'organization' ? [...new Set(p.input.delegateUserIds)].map((user_id) => ({ account_id: p.id, user_id })) : [])),
        );
        await recordAudit(
          trx,
          this.clock,
          actor,
          prepared.map((p, i) => ({
            action: 'signing-account.create',
            target: { type: 'signing-account', id: p.id },
            details: {
              holder: p.input.holder ?? 'individual',
              ...(p.input.userId ? { userId: p.input.userId } : { delegateUserIds: p.input.delegateUserIds }),
              organizationId: p.input.organizationId, certificateSerial: issued[i]!.serial, keyAlgorithm: p.keyAlgorithm },
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
              has_appearance: false,
            }, now, p.input.holder === 'organization' ? [...new Set(p.input.delegateUserIds)].sort() : undefined),
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
    const delegates = await accountDelegates(this.knex, page.filter((r) => r.holder === 'organization').map((r) => r.id));
    return {
      items: page.map((r) => toView(r, now, delegates.get(r.id))),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  /** One account, if the caller may see it (404 otherwise). */
  async get(principal: Principal, id: string): Promise<SigningAccountView> {
    const account = await this.visible(principal, id);
    const delegates = account.holder === 'organization' ? (await accountDelegates(this.knex, [id])).get(id) ?? [] : undefined;
    return toView(account, this.clock.now(), delegates);
  }

  /**
   * Stores the image visible signatures show (PUT …/appearance): the holder's handwritten
   * signature, or the organization's seal. Only those who may sign with the account may set it.
   */
  async setAppearance(actor: Actor, id: string, png: Buffer): Promise<SigningAccountView> {
    await this.usable(actor.principal, id);
    // Loaded here, not at start-up: it brings pdf-lib (issue #12).
    const { AppearanceImageError, checkPng } = await import('../pki/pdf-appearance.js');
    let size: { width: number; height: number };
    try {
      size = await checkPng(png);
    } catch (err) {
      if (err instanceof AppearanceImageError) throw new Refused(err.message, [{ path: 'image', message: err.message }]);
      throw err;
    }
    const now = this.clock.now();
    await this.knex.transaction(async (trx) => {
      await setAppearance(trx, id, png, now);
      await recordAudit(trx, this.clock, actor, {
        action: 'signing-account.appearance',
        target: { type: 'signing-account', id },
        details: { bytes: png.length, width: size.width, height: size.height, sha256: createHash('sha256').update(png).digest('hex') },
      });
    });
    return this.get(actor.principal!, id);
  }

  /** What a visible signature with this account shows: the holder, names and image (404 unless the caller may sign with it). */
  async appearanceOf(
    principal: Principal | null | undefined,
    id: string,
  ): Promise<{ holder: AccountHolder; commonName: string; organizationName: string; image?: Buffer }> {
    const account = await this.usable(principal, id);
    const organization = (await findOrganizations(this.knex, [account.organization_id])).get(account.organization_id);
    const image = account.has_appearance ? await findAppearance(this.knex, id) : undefined;
    return {
      holder: account.holder,
      commonName: account.common_name ?? '',
      organizationName: organization?.name ?? '',
      ...(image ? { image } : {}),
    };
  }

  /** The account, if `principal` may sign with it: its holder, or a delegate of an organization account (404 otherwise). */
  private async usable(principal: Principal | null | undefined, id: string): Promise<SigningAccountRecord> {
    const account = principal ? await findSigningAccount(this.knex, id) : undefined;
    const allowed =
      account &&
      (account.holder === 'organization'
        ? principal!.role === 'signer' && ((await accountDelegates(this.knex, [id])).get(id) ?? []).includes(principal!.id)
        : account.user_id === principal!.id);
    if (!allowed) throw new NotFound('signing account not found');
    return account;
  }

  /**
   * Changes the PIN (the holder, with the current PIN): re-wraps the key under the new one, which
   * must be a strong PIN (pinProblem). The re-wrap (scrypt) runs once the current PIN opened the
   * key, before the row is locked; openKey's check that the wrapped key did not change meanwhile
   * lets only one of two concurrent changes write.
   */
  async changePin(actor: Actor, id: string, pin: string, newPin: string): Promise<void> {
    requireStrongPin(newPin, 'newPin');
    if (newPin === pin) throw new Refused('the new PIN must differ from the current one', [{ path: 'newPin', message: 'same as the current PIN' }]);
    await this.openKey(actor, id, pin, { action: 'signing-account.pin-change' }, {
      allowExpired: true,
      pinChange: true,
      changes: async (key) => {
        const { wrappedKey, kdf } = await key.rewrap(newPin);
        return { wrapped_key: wrappedKey, kdf, must_change_pin: false };
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
   * audit trail — with the account's `changes`, in the same transaction — before the key is handed
   * out: the intent is on record before anything is signed, and the transaction stays short while
   * 1,000 hashes are signed.
   */
  async openKey(
    actor: Actor,
    id: string,
    pin: string,
    event: Omit<AuditEvent, 'target'>,
    options: {
      allowExpired?: boolean;
      pinChange?: boolean;
      /** What to write to the account with `event`, worked out from the opened key before the transaction (a re-wrap). */
      changes?: (key: OpenedAccountKey) => Promise<SigningAccountChanges>;
    } = {},
  ): Promise<UnlockedAccount> {
    const account = await this.usable(actor.principal, id);
    if (account.status === 'locked') throw lockedError();
    if (account.must_change_pin && !options.pinChange) throw new PinChangeRequired();
    this.checkCertificate(account, options.allowExpired ?? false);
    // The slow KDF runs outside the transaction (a re-wrap's too); the outcome is recorded under the row lock.
    const key = PIN_PATTERN.test(pin) ? await this.vault.openAccountKey(id, pin, account.wrapped_key, account.kdf) : undefined;
    const changes = key && options.changes ? await options.changes(key) : {};
    const outcome = await this.knex.transaction(async (trx) => {
      const current = await findSigningAccount(trx, id, true);
      if (!current || current.status === 'locked') return { kind: 'locked' as const };
      // The key was re-wrapped (a PIN change) after this request read it: the PIN it checked may be
      // the old one. Two PIN changes at once must not both succeed (issue #12).
      if (JSON.stringify(current.wrapped_key) !== JSON.stringify(account.wrapped_key)) return { kind: 'changed' as const };
      const now = this.clock.now();
      const target = { type: 'signing-account', id };
      if (!key) {
        const state = await recordPinFailure(trx, id, now, MAX_PIN_ATTEMPTS);
        const events: AuditEvent[] = [{ action: 'signing-account.pin-failure', target, details: { attempts: state.failed_pin_attempts } }];
        if (state.status === 'locked') events.push({ action: 'signing-account.lock', target, details: { attempts: state.failed_pin_attempts } });
        await recordAudit(trx, this.clock, actor, events);
        return { kind: 'wrong-pin' as const, state };
      }
      // A right PIN clears the count of earlier wrong ones.
      const writes = { ...(current.failed_pin_attempts > 0 ? { failed_pin_attempts: 0 } : {}), ...changes };
      if (Object.keys(writes).length) await updateSigningAccount(trx, id, { ...writes, updated_at: now });
      await recordAudit(trx, this.clock, actor, { ...event, target });
      const unlocked: UnlockedAccount = { account: current, signer: key.signer, certificates: this.certificates(current) };
      return { kind: 'ok' as const, value: unlocked };
    });
    if (outcome.kind === 'ok') return outcome.value;
    if (outcome.kind === 'changed') throw new Conflict('the PIN was changed while this request was being processed: try again with the current PIN');
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
    if (principal.role === 'signer') return this.usable(principal, id);
    const account = await findSigningAccount(this.knex, id);
    if (!account || !(seesAllOrganizations(principal) || account.organization_id === principal.organizationId)) {
      throw new NotFound('signing account not found');
    }
    return account;
  }

  private async users(ids: string[]): Promise<Map<string, UserRow>> {
    const unique = [...new Set(ids)];
    const rows: UserRow[] = unique.length ? await this.knex<UserRow>('users').whereIn('id', unique).select('*') : [];
    return new Map(rows.map((r) => [r.id, r]));
  }

  /**
   * 409 for each individual account that would be a second active one of its user for one of the
   * same identifiers (#13 item 10), counting those already open and the earlier ones of `items`.
   */
  private async duplicateAccounts(
    knex: Knex,
    items: Array<{ index: number; input: SigningAccountInput }>,
    now: Date,
  ): Promise<Map<number, Conflict>> {
    const individual = items.filter(({ input }) => (input.holder ?? 'individual') === 'individual' && input.userId);
    const held = new Set<string>();
    for (const row of await activeAccountUids(knex, [...new Set(individual.map(({ input }) => input.userId!))], now)) {
      for (const uid of row.uids) held.add(`${row.user_id}/${normalizedUid(uid)}`);
    }
    const refused = new Map<number, Conflict>();
    for (const { index, input } of individual) {
      const keys = (Array.isArray(input.uid) ? input.uid : [input.uid]).map((uid) => `${input.userId}/${normalizedUid(uid)}`);
      const taken = keys.find((k) => held.has(k));
      if (taken) {
        refused.set(index, new Conflict(`the user already has an active signing account for ${taken.split('/')[1]}: revoke its certificate first`));
      } else {
        keys.forEach((k) => held.add(k));
      }
    }
    return refused;
  }

  private issueInput(input: SigningAccountInput) {
    return {
      holder: input.holder ?? 'individual',
      medium: 'remote' as const,
      organizationId: input.organizationId,
      subject: { commonName: input.commonName, uid: input.uid },
    };
  }
}

/** 409 `pin-change-required`: a new account signs nothing until its holder replaces the PIN the officer set. */
export class PinChangeRequired extends DomainError {
  readonly status = 409;
  readonly title = 'PIN change required';
  constructor() {
    super('the PIN set when the account was opened must be changed first (POST …/pin)');
  }
}

/** A UID as certificates store it (validateSubject trims it). */
const normalizedUid = (uid: unknown) => String(uid).trim();

function lockedError(): Locked {
  return new Locked(`the signing account is locked after ${MAX_PIN_ATTEMPTS} wrong PINs: an officer must unlock it`);
}

function toView(row: SigningAccountRecord, now: Date, delegates?: string[]): SigningAccountView {
  const notAfter = new Date(row.not_after);
  const certificateStatus = row.certificate_status === 'active' && notAfter <= now ? 'expired' : row.certificate_status;
  return {
    id: row.id,
    holder: row.holder,
    userId: row.user_id,
    ...(row.holder === 'organization' ? { delegateUserIds: delegates ?? [] } : {}),
    organizationId: row.organization_id,
    certificateSerial: row.serial,
    certificateStatus,
    commonName: row.common_name,
    keyAlgorithm: row.key_algorithm,
    status: certificateStatus === 'active' ? row.status : certificateStatus,
    failedPinAttempts: row.failed_pin_attempts,
    lockedAt: row.locked_at ? new Date(row.locked_at).toISOString() : null,
    mustChangePin: row.must_change_pin,
    hasAppearance: row.has_appearance,
    createdAt: new Date(row.created_at).toISOString(),
    notAfter: notAfter.toISOString(),
  };
}
