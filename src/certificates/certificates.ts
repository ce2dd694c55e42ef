import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit/audit.js';
import { requireRole } from '../auth/authorize.js';
import { pkcs12PasswordProblem } from '../auth/credentials.js';
import { seesAllOrganizations, type Actor, type Principal } from '../auth/principal.js';
import type { CertificateAuthorities } from '../ca/authorities.js';
import {
  findCertificatesBySerial,
  insertStatusChanges,
  listCertificates,
  lockCertificate,
  takeWrappedKey,
  updateCertificate,
  type CertificateQuery,
  type CertificateRow,
  listStatusChanges,
} from '../db/certificates-repo.js';
import { signalAfterCommit } from '../db/status-notifications.js';
import { findTrustAnchor } from '../db/trust-anchors-repo.js';
import { Conflict, NotFound, Refused } from '../errors.js';
import type { KeyVault } from '../keys/vault.js';
import { toPem } from '../pki/pem.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';

/**
 * CRLReason names (RFC 5280 §5.3.1) a revocation may give, in camelCase as api.md spells them.
 * certificateHold is what suspension is; removeFromCRL belongs to delta CRLs only.
 */
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
  'aACompromise',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** Status as the API shows it: the stored one, or `expired` past notAfter (unless revoked). */
export type CertificateStatus = 'active' | 'suspended' | 'revoked' | 'expired';

/** A certificate as the API shows it. */
export interface CertificateView {
  serial: string;
  subject: string;
  commonName: string | null;
  uid: string[];
  holder: string;
  medium: string;
  sector: string;
  province: string;
  organizationId: string;
  issuer: string;
  source: 'issued' | 'imported';
  profile: string | null;
  notBefore: string;
  notAfter: string;
  status: CertificateStatus;
  suspendedAt?: string;
  revokedAt?: string;
  revocationReason?: string;
  fingerprint: string;
  msisdn?: string;
  carrier?: string;
  /** `file` certificates: whether the PKCS#12 was already downloaded. */
  keyDelivered?: boolean;
  /** Null only for the demo seed's synthetic rows, which have statistics but no certificate. */
  pem: string | null;
}

/** One entry of a certificate's status history. */
export interface StatusHistoryEntry {
  status: string;
  at: string;
  reason?: string;
}

/** A status change asked of a certificate. */
export type StatusChange = { to: 'revoked'; reason: RevocationReason } | { to: 'suspended' } | { to: 'active' };

/** Reading certificates and changing their status (revoke, suspend, resume). */
export class CertificateService {
  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorities,
    private readonly vault: KeyVault,
  ) {}

  /** Certificates the principal may see, newest first, filtered and paginated. */
  async list(
    principal: Principal,
    q: Omit<CertificateQuery, 'now' | 'after'> & { cursor?: string },
  ): Promise<{ items: CertificateView[]; nextCursor: string | null }> {
    const now = this.clock.now();
    const organizationId = seesAllOrganizations(principal) ? q.organizationId : ownOrganization(principal);
    if (!seesAllOrganizations(principal) && q.organizationId && q.organizationId !== organizationId) return { items: [], nextCursor: null };
    const rows = await listCertificates(this.knex, { ...q, organizationId, now, after: decodeCursor(q.cursor), limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => toCertificateView(r, now)),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  /** The certificate with this serial the principal may see; 404 otherwise. */
  async get(principal: Principal, serial: string): Promise<CertificateView & { history: StatusHistoryEntry[] }> {
    const row = await this.find(this.knex, principal, serial);
    const history = (await listStatusChanges(this.knex, row.id)).map((c) => ({
      status: c.status,
      at: new Date(c.at).toISOString(),
      ...(c.reason ? { reason: c.reason } : {}),
    }));
    return { ...toCertificateView(row, this.clock.now()), history };
  }

  /** The stored row behind a serial, visible to the principal (404), unambiguous (409). */
  async find(knex: Knex, principal: Principal, serial: string): Promise<CertificateRow> {
    const normalized = normalizeSerial(serial);
    const rows = normalized
      ? await findCertificatesBySerial(knex, normalized, seesAllOrganizations(principal) ? undefined : ownOrganization(principal))
      : [];
    if (rows.length === 0) throw new NotFound(`no certificate with serial ${serial}`);
    if (rows.length > 1) throw new Conflict(`serial ${serial} is used by ${rows.length} certificates of different issuers`);
    return rows[0]!;
  }

  /** DER of the certificate. */
  async der(principal: Principal, serial: string): Promise<Buffer> {
    return storedDer(await this.find(this.knex, principal, serial));
  }

  /** PEM of the certificate. */
  async pem(principal: Principal, serial: string): Promise<string> {
    return toPem(await this.der(principal, serial), 'CERTIFICATE');
  }

  /** PEM bundle, leaf first, then its issuer up to the root (or the trust anchor of an imported one). */
  async chainPem(principal: Principal, serial: string): Promise<string> {
    const row = await this.find(this.knex, principal, serial);
    const ders: Buffer[] = [storedDer(row)];
    if (row.issuer_ca_id) {
      const ca = this.authorities.all().find((a) => a.row.id === row.issuer_ca_id);
      if (ca) ders.push(...this.authorities.chain(ca).map((a) => a.certificateDer));
    } else if (row.trust_anchor_id) {
      const anchor = await findTrustAnchor(this.knex, row.trust_anchor_id);
      if (anchor) ders.push(Buffer.from(anchor.der));
    }
    return ders.map((d) => toPem(d, 'CERTIFICATE')).join('');
  }

  /**
   * Delivers a `file` certificate's kyso-generated key as a password-protected PKCS#12, once. The
   * PKCS#12 (unwrap, password KDFs) is built from a plain read, with no transaction open; then a
   * short one erases the wrapped key only if it is still there (`takeWrappedKey`) and records the
   * audit event, so of two concurrent calls one gets the bundle and the other a 409, and a bundle
   * built for a key another call took never leaves the process. Only agency users of the
   * certificate's organization may take it (api.md "Certificates"): officers and admins may not
   * hold a subscriber's private key. The password is printable ASCII, 8–64 characters.
   */
  async deliverPkcs12(actor: Actor, serial: string, password: string): Promise<Buffer> {
    requireRole(actor.principal, 'agency');
    const problem = pkcs12PasswordProblem(password);
    if (problem) throw new Refused(`the PKCS#12 password ${problem}`, [{ path: 'password', message: problem }]);
    const principal = actor.principal;
    const row = await this.find(this.knex, principal, serial);
    assertKeyDeliverable(row);
    const ca = row.issuer_ca_id ? this.authorities.all().find((a) => a.row.id === row.issuer_ca_id) : undefined;
    const pkcs12 = this.vault.deliverFileKey(row.wrapped_key, row.id, {
      certificates: [row.der, ...(ca ? this.authorities.chain(ca).map((a) => a.certificateDer) : [])],
      password,
      friendlyName: row.common_name ?? row.serial,
    });
    await this.knex.transaction(async (trx) => {
      if (!(await takeWrappedKey(trx, row.id, this.clock.now()))) {
        // Delivered or revoked since it was read: the 409 the row now calls for.
        assertKeyDeliverable(await this.find(trx, principal, serial));
        throw alreadyDelivered(row);
      }
      await recordAudit(trx, this.clock, actor, { action: 'certificate.pkcs12-deliver', target: { type: 'certificate', id: row.serial }, details: { subject: row.subject_dn } });
    });
    return pkcs12;
  }

  /** Revokes, suspends or resumes a certificate (officer, admin), audited, in one transaction. */
  async changeStatus(actor: Actor, serial: string, change: StatusChange): Promise<CertificateView> {
    requireRole(actor.principal, 'officer', 'admin');
    const principal = actor.principal;
    const row = await this.knex.transaction(async (trx) => {
      const found = await this.find(trx, principal, serial);
      return this.changeStatusInTransaction(trx, actor, found.id, change);
    });
    return toCertificateView(row, this.clock.now());
  }

  /**
   * Applies a status change to a locked certificate inside the caller's transaction: revoked is
   * final; suspension only from active; resumption only from suspended (409 otherwise). Writes the
   * status-change row (CRL freshness and as-of statistics read it) and the audit event.
   */
  async changeStatusInTransaction(trx: Knex.Transaction, actor: Actor, certificateId: string, change: StatusChange): Promise<CertificateRow> {
    const row = await lockCertificate(trx, certificateId);
    if (!row) throw new NotFound('certificate not found');
    assertTransition(row, change.to);
    const now = this.clock.now();
    const patch: Partial<CertificateRow> =
      change.to === 'revoked'
        ? { status: 'revoked', revoked_at: now, revocation_reason: change.reason }
        : change.to === 'suspended'
          ? { status: 'suspended', suspended_at: now }
          : { status: 'active', suspended_at: null };
    await updateCertificate(trx, row.id, patch);
    // Migration 010's trigger notifies every process at commit; this one hears it at once.
    signalAfterCommit(trx, [row.serial]);
    await insertStatusChanges(trx, [
      { certificate_id: row.id, at: now, status: change.to, reason: change.to === 'revoked' ? change.reason : change.to === 'suspended' ? 'certificateHold' : null },
    ]);
    await recordAudit(trx, this.clock, actor, {
      action: change.to === 'revoked' ? 'certificate.revoke' : change.to === 'suspended' ? 'certificate.suspend' : 'certificate.resume',
      target: { type: 'certificate', id: row.serial },
      details: { subject: row.subject_dn, ...(change.to === 'revoked' ? { reason: change.reason } : {}) },
    });
    return { ...row, ...patch };
  }
}

/** 409 unless the certificate's stored status allows moving to `to`. */
export function assertTransition(row: Pick<CertificateRow, 'status' | 'serial'>, to: StatusChange['to']): void {
  if (row.status === 'revoked') throw new Conflict(`certificate ${row.serial} is revoked; revocation is final`);
  if (to === 'suspended' && row.status !== 'active') throw new Conflict(`certificate ${row.serial} is ${row.status}; only an active certificate can be suspended`);
  if (to === 'active' && row.status !== 'suspended') throw new Conflict(`certificate ${row.serial} is ${row.status}; only a suspended certificate can be resumed`);
}

/** 409 unless the certificate is a `file` one, not revoked, whose key is still waiting for delivery. */
function assertKeyDeliverable(row: CertificateRow): asserts row is CertificateRow & { wrapped_key: NonNullable<CertificateRow['wrapped_key']> } {
  if (row.medium !== 'file') throw new Conflict(`certificate ${row.serial} is a ${row.medium} certificate: its key never left the holder`);
  if (!row.wrapped_key || row.key_delivered_at) throw alreadyDelivered(row);
  if (row.status === 'revoked') throw new Conflict(`certificate ${row.serial} is revoked`);
}

const alreadyDelivered = (row: Pick<CertificateRow, 'serial'>): Conflict =>
  new Conflict(`the key of certificate ${row.serial} was already delivered; it is delivered once`);

/** Lowercase hex without leading zeros, or undefined when `serial` is not hex (accepts `:` separators). */
export function normalizeSerial(serial: string): string | undefined {
  const hex = serial.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{1,64}$/.test(hex)) return undefined;
  return hex.replace(/^0+/, '') || '0';
}

const ownOrganization = (principal: Principal): string => principal.organizationId ?? '00000000-0000-0000-0000-000000000000';

/** The API view of a certificate row. */
export function toCertificateView(row: CertificateRow, now: Date): CertificateView {
  const notAfter = new Date(row.not_after);
  const status: CertificateStatus = row.status !== 'revoked' && notAfter < now ? 'expired' : row.status;
  return {
    serial: row.serial,
    subject: row.subject_dn,
    commonName: row.common_name,
    uid: row.uids,
    holder: row.holder,
    medium: row.medium,
    sector: row.sector,
    province: row.province,
    organizationId: row.organization_id,
    issuer: row.issuer_dn,
    source: row.source,
    profile: row.profile,
    notBefore: new Date(row.not_before).toISOString(),
    notAfter: notAfter.toISOString(),
    status,
    ...(row.suspended_at && row.status === 'suspended' ? { suspendedAt: new Date(row.suspended_at).toISOString() } : {}),
    ...(row.revoked_at ? { revokedAt: new Date(row.revoked_at).toISOString() } : {}),
    ...(row.revocation_reason ? { revocationReason: row.revocation_reason } : {}),
    fingerprint: row.fingerprint,
    ...(row.msisdn ? { msisdn: row.msisdn } : {}),
    ...(row.carrier ? { carrier: row.carrier } : {}),
    ...(row.medium === 'file' ? { keyDelivered: row.key_delivered_at !== null } : {}),
    pem: row.der.length ? toPem(row.der, 'CERTIFICATE') : null,
  };
}

/** The certificate's DER; 404 for the demo seed's synthetic rows (scripts/seed-demo.ts), which have none. */
function storedDer(row: CertificateRow): Buffer {
  if (row.der.length === 0) throw new NotFound(`certificate ${row.serial} is a synthetic demo record without a certificate`);
  return Buffer.from(row.der);
}
