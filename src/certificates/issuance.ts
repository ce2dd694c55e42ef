import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { Actor } from '../auth/principal.js';
import { recordAudit } from '../audit/audit.js';
import { itemEvents } from './audit-events.js';
import type { Authority, CertificateAuthorities } from '../ca/authorities.js';
import { findOrganizations, insertCertificates, type CertificateRow, type StatusChangeRow } from '../db/certificates-repo.js';
import type { OrganizationRow } from '../db/organizations-repo.js';
import { NotFound, Refused } from '../errors.js';
import { EndEntityEncoder } from '../pki/end-entity.js';
import { wrapKey } from '../pki/key-wrap.js';
import { encodeName, formatName } from '../pki/name.js';
import { randomSerial, type RandomSource } from '../pki/serial.js';
import { serialHex } from '../pki/certificate.js';
import { describePublicKey } from '../pki/csr.js';
import { profileFor, validityEnd, type CertificateProfile, type Holder, type Medium } from './profiles.js';
import { subjectAttributes, validateSubject, type Subject, type SubjectInput } from './subject.js';

export type { SubjectInput } from './subject.js';

/** What to issue: the holder, medium, organization, subject and key; the CA and profile decide the rest. */
export interface IssueInput {
  holder: Holder;
  medium: Medium;
  organizationId: string;
  subject: SubjectInput;
  /** DER SubjectPublicKeyInfo of the holder's key. */
  publicKeyInfo: Uint8Array;
  /** Profile name; the holder's default when absent. */
  profile?: string;
  requestId?: string;
  /** `sim` only: the phone number and carrier the key lives with. */
  msisdn?: string;
  carrier?: string;
  /**
   * `file` only: the private key kyso generated. It is stored wrapped with the master key, bound to
   * the certificate's id, until the holder downloads it once as PKCS#12.
   */
  privateKey?: KeyObject;
}

/** A certificate just issued and stored. */
export interface IssuedCertificate {
  id: string;
  serial: string;
  der: Buffer;
  notBefore: Date;
  notAfter: Date;
}

/** A validated input: everything decided, nothing signed yet (from `IssuanceService.prepare`). */
export interface IssuancePlan {
  input: IssueInput;
  subject: Subject;
  subjectDer: Buffer;
  subjectDn: string;
  profile: CertificateProfile;
  organization: OrganizationRow;
}

/**
 * Issues end-entity certificates with the built-in issuing CA. Inside the caller's transaction it
 * validates, records the audit event (the intent), signs, and stores the certificate with its first
 * status change — so a failure leaves no half state (style.md habit 3).
 */
export class IssuanceService {
  private readonly encoders = new Map<string, EndEntityEncoder>();

  constructor(
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly authorities: CertificateAuthorities,
    private readonly publicUrl: string,
    private readonly masterKey: Buffer,
  ) {}

  /** Validates, builds, audits, signs and stores one certificate inside the caller's transaction. */
  async issueInTransaction(trx: Knex.Transaction, actor: Actor, input: IssueInput): Promise<IssuedCertificate> {
    return (await this.issueManyInTransaction(trx, actor, [input]))[0]!;
  }

  /**
   * Issues a batch inside the caller's transaction: one audit-head lock, one signing pass, multi-row
   * inserts. Validation of every input happens before anything is written; the first invalid one
   * throws (callers that want per-item results check each with `check` first).
   */
  async issueManyInTransaction(trx: Knex.Transaction, actor: Actor, inputs: IssueInput[]): Promise<IssuedCertificate[]> {
    if (inputs.length === 0) return [];
    const organizations = await findOrganizations(trx, [...new Set(inputs.map((i) => i.organizationId))]);
    return this.issuePlannedInTransaction(trx, actor, inputs.map((input) => this.prepare(input, organizations.get(input.organizationId))));
  }

  /** Issues prepared plans inside the caller's transaction (audit, sign, store), as `issueManyInTransaction`. */
  async issuePlannedInTransaction(trx: Knex.Transaction, actor: Actor, plans: IssuancePlan[]): Promise<IssuedCertificate[]> {
    if (plans.length === 0) return [];
    const ca = this.authorities.issuing();
    const now = this.clock.now();
    const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const issuerNameHash = createHash('sha256').update(ca.subjectDer).digest('hex');
    const drafts = plans.map((plan) => {
      const serialNumber = randomSerial(this.random);
      // Never outlive the issuing CA (RFC 5280 §6.1.3 validators would reject the tail).
      const profileEnd = validityEnd(plan.profile, notBefore);
      const notAfter = profileEnd > ca.row.not_after ? new Date(ca.row.not_after) : profileEnd;
      const tbs = this.encoder(ca, plan.profile).tbs({
        serialNumber,
        notBefore,
        notAfter,
        subjectDer: plan.subjectDer,
        publicKeyInfo: plan.input.publicKeyInfo,
        email: plan.subject.email,
      });
      return { plan, id: randomUUID(), serial: serialHex(serialNumber), tbs, notAfter };
    });
    await recordAudit(
      trx,
      this.clock,
      actor,
      itemEvents(
        'certificate.issue',
        'certificate',
        drafts.map((d) => ({
          id: d.serial,
          details: {
            subject: d.plan.subjectDn,
            holder: d.plan.input.holder,
            medium: d.plan.input.medium,
            organizationId: d.plan.input.organizationId,
            profile: d.plan.profile.name,
            ca: ca.name,
            ...(d.plan.input.requestId ? { requestId: d.plan.input.requestId } : {}),
          },
        })),
      ),
    );
    const signatures = await Promise.all(drafts.map((d) => ca.signer.sign(d.tbs)));
    const rows: CertificateRow[] = [];
    const changes: StatusChangeRow[] = [];
    const issued = drafts.map((d, i): IssuedCertificate => {
      const der = this.encoder(ca, d.plan.profile).certificate(d.tbs, signatures[i]!);
      const { input, subject, organization } = d.plan;
      rows.push({
        id: d.id,
        serial: d.serial,
        issuer_dn: ca.row.subject_dn,
        issuer_name_hash: issuerNameHash,
        issuer_ca_id: ca.row.id,
        trust_anchor_id: null,
        fingerprint: createHash('sha256').update(der).digest('hex'),
        der,
        subject_dn: d.plan.subjectDn,
        common_name: subject.commonName,
        uids: subject.uid,
        holder: input.holder,
        medium: input.medium,
        subject,
        profile: d.plan.profile.name,
        msisdn: input.msisdn ?? null,
        carrier: input.carrier ?? null,
        organization_id: organization.id,
        sector: organization.sector,
        province: organization.province,
        not_before: notBefore,
        not_after: d.notAfter,
        status: 'active',
        revoked_at: null,
        revocation_reason: null,
        suspended_at: null,
        source: 'issued',
        request_id: input.requestId ?? null,
        wrapped_key: input.privateKey
          ? wrapKey(this.masterKey, input.privateKey.export({ type: 'pkcs8', format: 'der' }), certificateKeyAad(d.id))
          : null,
        key_delivered_at: null,
        created_at: now,
      });
      changes.push({ certificate_id: d.id, at: notBefore, status: 'active', reason: null });
      return { id: d.id, serial: d.serial, der, notBefore, notAfter: d.notAfter };
    });
    await insertCertificates(trx, rows, changes);
    return issued;
  }

  /** Throws the 422 (or 404) that issuing this input would throw, without writing (see `prepare`). */
  check(input: IssueInput, organization: OrganizationRow | undefined): void {
    this.prepare(input, organization);
  }

  /**
   * Validates an input against its organization (subject conventions, profile, key policy, medium)
   * and decides the subject DN; throws the 422 (or 404) issuance would throw, without writing.
   */
  prepare(input: IssueInput, organization: OrganizationRow | undefined): IssuancePlan {
    if (!organization) throw new NotFound('organization not found');
    const subject = validateSubject(input.holder, input.subject);
    const profile = profileFor(input.holder, input.profile);
    describePublicKey(input.publicKeyInfo);
    if (input.medium === 'file' && !input.privateKey) throw new Refused('a file certificate needs the key kyso generated for it');
    if (input.medium !== 'file' && input.privateKey) throw new Refused('only file certificates carry a kyso-generated key');
    const attributes = subjectAttributes(subject, organization);
    return { input, subject, subjectDer: encodeName(attributes), subjectDn: formatName(attributes), profile, organization };
  }

  private encoder(ca: Authority, profile: CertificateProfile): EndEntityEncoder {
    const key = `${ca.row.id}/${profile.name}`;
    let encoder = this.encoders.get(key);
    if (!encoder) {
      encoder = new EndEntityEncoder(profile, { name: ca.name, subjectDer: ca.subjectDer, keyId: ca.keyId, algorithm: ca.signer.algorithm }, this.publicUrl);
      this.encoders.set(key, encoder);
    }
    return encoder;
  }
}

/** AAD binding a `file` certificate's wrapped key to that certificate (see key-wrap.ts). */
export const certificateKeyAad = (certificateId: string): string => `certificate:${certificateId}`;
