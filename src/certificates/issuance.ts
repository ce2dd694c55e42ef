import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { Actor } from '../auth/principal.js';
import { recordAudit, type AuditEvent } from '../audit/audit.js';
import { itemEvents } from '../audit/item-events.js';
import type { Authority, CertificateAuthorities } from '../ca/authorities.js';
import { caUrls } from '../ca/urls.js';
import { insertCertificates, type CertificateRow } from '../db/certificates-repo.js';
import type { OrganizationRow } from '../db/organizations-repo.js';
import { NotFound, Refused } from '../errors.js';
import type { GeneratedFileKey, KeyVault } from '../keys/vault.js';
import { EndEntityEncoder } from '../pki/end-entity.js';
import { encodeName, formatName } from '../pki/name.js';
import { randomSerial, type RandomSource } from '../pki/serial.js';
import { serialHex } from '../pki/certificate.js';
import { checkKey } from './key-policy.js';
import { DEFAULT_POLICY_ARC, profileFor, underPolicyArc, validityEnd, type CertificateProfile, type Holder, type Medium } from './profiles.js';
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
   * `file` only: the key kyso generated (`generateFileKey`). The vault stores it wrapped with the
   * master key, bound to the certificate's id, until the holder downloads it once as PKCS#12.
   */
  generatedKey?: GeneratedFileKey;
}

/** A certificate just issued and stored. */
export interface IssuedCertificate {
  id: string;
  serial: string;
  der: Buffer;
  notBefore: Date;
  notAfter: Date;
}

/** A certificate signed by `IssuanceService.sign`, not stored yet: its row and its audit event. */
export interface SignedCertificate {
  readonly certificate: IssuedCertificate;
  readonly row: CertificateRow;
  readonly event: { id: string; details: Record<string, unknown> };
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
 * Issues end-entity certificates with the built-in issuing CA: `prepare` validates, `sign` builds
 * and signs outside any transaction, `store` writes the certificate, its first status change and
 * its audit event inside the caller's transaction — so a failure leaves no half state (style.md
 * habit 3) and no lock is held while the CA signs.
 */
export class IssuanceService {
  private readonly encoders = new Map<string, EndEntityEncoder>();

  constructor(
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly authorities: CertificateAuthorities,
    private readonly publicUrl: string,
    private readonly vault: KeyVault,
    /** KYSO_POLICY_ARC: the profiles' policy OIDs are moved under it. */
    private readonly policyArc: string = DEFAULT_POLICY_ARC,
  ) {}

  /** A fresh key for a `file` certificate, to pass as `IssueInput.generatedKey`. */
  generateFileKey(): Promise<GeneratedFileKey> {
    return this.vault.generateFileKey();
  }

  /**
   * Builds and signs the certificates of prepared plans without touching the database, so that no
   * transaction and no row lock is held while the CA signs. Nothing is issued until `store`
   * commits: a signed certificate that is never stored never leaves the process.
   */
  async sign(plans: IssuancePlan[]): Promise<SignedCertificate[]> {
    if (plans.length === 0) return [];
    await this.authorities.refresh();
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
    const signatures = await Promise.all(drafts.map((d) => ca.signer.sign(d.tbs)));
    return drafts.map((d, i): SignedCertificate => {
      const der = this.encoder(ca, d.plan.profile).certificate(d.tbs, signatures[i]!);
      const { input, subject, organization } = d.plan;
      return {
        certificate: { id: d.id, serial: d.serial, der, notBefore, notAfter: d.notAfter },
        row: {
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
          wrapped_key: input.generatedKey ? this.vault.sealFileKey(input.generatedKey, d.id) : null,
          key_delivered_at: null,
          created_at: now,
        },
        event: {
          id: d.serial,
          details: {
            subject: d.plan.subjectDn,
            holder: input.holder,
            medium: input.medium,
            organizationId: input.organizationId,
            profile: d.plan.profile.name,
            ca: ca.name,
            ...(input.requestId ? { requestId: input.requestId } : {}),
          },
        },
      };
    });
  }

  /** Stores signed certificates, their first status change and their audit events in the caller's transaction. */
  async store(trx: Knex.Transaction, actor: Actor, signed: readonly SignedCertificate[]): Promise<IssuedCertificate[]> {
    await this.storeRows(trx, signed);
    await recordAudit(trx, this.clock, actor, this.issueEvents(signed));
    return signed.map((s) => s.certificate);
  }

  /** Stores signed certificates and their first status change; the caller records `issueEvents` with its own. */
  async storeRows(trx: Knex.Transaction, signed: readonly SignedCertificate[]): Promise<void> {
    if (signed.length === 0) return;
    await insertCertificates(
      trx,
      signed.map((s) => s.row),
      signed.map((s) => ({ certificate_id: s.row.id, at: s.row.not_before, status: 'active', reason: null })),
    );
  }

  /** The `certificate.issue` audit events of signed certificates (for callers that record them with their own). */
  issueEvents(signed: readonly SignedCertificate[]): AuditEvent[] {
    return itemEvents('certificate.issue', 'certificate', signed.map((s) => s.event));
  }

  /**
   * Validates an input against its organization (subject conventions, profile, key policy, medium)
   * and decides the subject DN; throws the 422 (or 404) issuance would throw, without writing.
   */
  prepare(input: IssueInput, organization: OrganizationRow | undefined): IssuancePlan {
    const plan = this.prepareBeforeKey(input, organization);
    checkKey(input.publicKeyInfo);
    return { ...plan, input };
  }

  /**
   * What `prepare` checks but the key, for a certificate whose key kyso generates afterwards (a
   * signing account's: the vault makes keys the policy accepts), so that a refused input costs no
   * key; the plan is complete once the key is set in its `input`.
   */
  prepareBeforeKey<T extends Omit<IssueInput, 'publicKeyInfo'>>(input: T, organization: OrganizationRow | undefined): Omit<IssuancePlan, 'input'> & { input: T } {
    if (!organization) throw new NotFound('organization not found');
    const subject = validateSubject(input.holder, input.subject);
    const profile = profileFor(input.holder, input.profile);
    if (input.medium === 'file' && !input.generatedKey) throw new Refused('a file certificate needs the key kyso generated for it');
    if (input.medium !== 'file' && input.generatedKey) throw new Refused('only file certificates carry a kyso-generated key');
    const attributes = subjectAttributes(subject, organization);
    return { input, subject, subjectDer: encodeName(attributes), subjectDn: formatName(attributes), profile, organization };
  }

  private encoder(ca: Authority, profile: CertificateProfile): EndEntityEncoder {
    const key = `${ca.row.id}/${profile.name}`;
    let encoder = this.encoders.get(key);
    if (!encoder) {
      const issuer = { subjectDer: ca.subjectDer, keyId: ca.keyId, algorithm: ca.signer.algorithm };
      encoder = new EndEntityEncoder({ ...profile, policyOid: underPolicyArc(profile.policyOid, this.policyArc) }, issuer, caUrls(this.publicUrl, ca.name));
      this.encoders.set(key, encoder);
    }
    return encoder;
  }
}
