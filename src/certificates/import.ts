import { createHash, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit/audit.js';
import { itemEvents } from '../audit/item-events.js';
import { requireRole } from '../auth/authorize.js';
import type { Actor } from '../auth/principal.js';
import type { CertificateAuthorities } from '../ca/authorities.js';
import { findKnown, insertCertificatesIfNew, insertStatusChanges, type CertificateRow } from '../db/certificates-repo.js';
import { findOrganizations } from '../db/organizations-repo.js';
import { listTrustAnchors } from '../db/trust-anchors-repo.js';
import { Conflict, DomainError, fromPki, NotFound, Refused } from '../errors.js';
import { formatName } from '../pki/name.js';
import { OID } from '../pki/oids.js';
import { readCertificate, readCertificateInput, verifyCertificateSignature } from '../pki/x509-reader.js';
import { toCertificateView, type CertificateView } from './certificates.js';
import { checkAnchorKey } from './key-policy.js';
import type { Holder, Medium } from './profiles.js';

/** A certificate issued elsewhere, with what kyso records about it (api.md "import"). */
export interface ImportInput {
  pem: string;
  holder: Holder;
  medium: Medium;
  organizationId: string;
}

/** A known issuer: a built-in CA or a trust anchor, with its public key. */
interface KnownIssuer {
  readonly dn: string;
  readonly key: KeyObject;
  readonly caId: string | null;
  readonly trustAnchorId: string | null;
}

/** Per-item outcome of an import. */
export type ImportOutcome = { view: CertificateView } | { cause: DomainError };

/**
 * Records certificates issued elsewhere (by the national CA, before kyso existed). The issuer must
 * be a built-in CA or a trust anchor and its signature must verify; expired certificates are
 * accepted (they are history); CA certificates and duplicates (same issuer and serial, or same
 * fingerprint) are refused. notBefore is kept as the issuance date for statistics.
 */
export class ImportService {
  /** Trust anchors whose key could not be used, already logged (once per process). */
  private readonly unusableAnchors = new Set<string>();

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorities,
    private readonly logger: Logger,
  ) {}

  /** Imports one certificate (officer, admin); throws its problem (400, 404, 409, 422). */
  async importOne(actor: Actor, input: ImportInput): Promise<CertificateView> {
    const [outcome] = await this.importMany(actor, [{ input }]);
    if ('cause' in outcome!) throw outcome.cause;
    return outcome!.view;
  }

  /**
   * Imports a batch: every item is checked on its own, the good ones are stored with multi-row
   * inserts in one transaction, and each item gets its own outcome.
   */
  async importMany(actor: Actor, items: Array<{ input?: ImportInput; cause?: DomainError }>): Promise<ImportOutcome[]> {
    requireRole(actor.principal, 'officer', 'admin');
    const issuers = await this.knownIssuers();
    const inputs = items.flatMap((i) => (i.input ? [i.input] : []));
    const organizations = await findOrganizations(this.knex, [...new Set(inputs.map((i) => i.organizationId))]);
    const now = this.clock.now();
    const outcomes: Array<ImportOutcome | { row: CertificateRow }> = await Promise.all(
      items.map(async (item) => {
        if (!item.input) return { cause: item.cause! };
        try {
          return { row: await this.prepare(item.input, issuers, organizations.get(item.input.organizationId), now) };
        } catch (err) {
          if (err instanceof DomainError) return { cause: err };
          throw err;
        }
      }),
    );
    const candidates = outcomes.flatMap((o) => ('row' in o ? [o.row] : []));
    const known = await findKnown(
      this.knex,
      candidates.map((r) => r.fingerprint),
      candidates.map((r) => [r.issuer_name_hash, r.serial]),
    );
    const taken = new Set(known.flatMap((k) => [k.fingerprint, `${k.issuer_name_hash}/${k.serial}`]));
    const fresh: CertificateRow[] = [];
    for (const [i, o] of outcomes.entries()) {
      if (!('row' in o)) continue;
      const keys = [o.row.fingerprint, `${o.row.issuer_name_hash}/${o.row.serial}`];
      if (keys.some((k) => taken.has(k))) {
        outcomes[i] = { cause: new Conflict(`certificate ${o.row.serial} of ${o.row.issuer_dn} is already recorded`) };
        continue;
      }
      keys.forEach((k) => taken.add(k));
      fresh.push(o.row);
    }
    if (fresh.length) {
      const inserted = await this.knex.transaction(async (trx) => {
        const ids = await insertCertificatesIfNew(trx, fresh);
        const stored = fresh.filter((r) => ids.has(r.id));
        // The certificate was active from its real notBefore: status as of a past date counts it.
        await insertStatusChanges(trx, stored.map((r) => ({ certificate_id: r.id, at: r.not_before, status: 'active', reason: null })));
        await recordAudit(
          trx,
          this.clock,
          actor,
          itemEvents(
            'certificate.import',
            'certificate',
            stored.map((r) => ({
              id: r.serial,
              details: { subject: r.subject_dn, issuer: r.issuer_dn, holder: r.holder, medium: r.medium, organizationId: r.organization_id },
            })),
          ),
        );
        return ids;
      });
      for (const [i, o] of outcomes.entries()) {
        if ('row' in o && !inserted.has(o.row.id)) outcomes[i] = { cause: new Conflict(`certificate ${o.row.serial} is already recorded`) };
      }
    }
    return outcomes.map((o) => ('row' in o ? { view: toCertificateView(o.row, now) } : o));
  }

  private async prepare(
    input: ImportInput,
    issuers: Map<string, KnownIssuer[]>,
    organization: CertificateRowOrganization | undefined,
    now: Date,
  ): Promise<CertificateRow> {
    const cert = fromPki(() => readCertificateInput(input.pem));
    if (cert.isCa) throw new Refused('this is a CA certificate; import records end-entity certificates (add a CA as a trust anchor instead)');
    const candidates = issuers.get(cert.issuerDer.toString('hex'));
    if (!candidates) throw new Refused(`the issuer "${formatName(cert.issuer)}" is neither a built-in CA nor a trust anchor`);
    let issuer: KnownIssuer | undefined;
    let unsupported = false;
    for (const candidate of candidates) {
      const ok = await verifyCertificateSignature(cert, candidate.key);
      if (ok === undefined) unsupported = true;
      if (ok) issuer = candidate;
      if (ok) break;
    }
    if (!issuer) {
      throw new Refused(unsupported ? `the signature algorithm ${cert.signatureAlgorithm.oid} is not supported` : `the signature does not verify against the issuer "${candidates[0]!.dn}"`);
    }
    if (!organization) throw new NotFound('organization not found');
    const uids = cert.subject.filter((a) => a.type === OID.userId).map((a) => a.value);
    const pick = (type: string) => cert.subject.find((a) => a.type === type)?.value;
    const commonName = pick(OID.commonName) ?? null;
    return {
      id: randomUUID(),
      serial: cert.serial,
      issuer_dn: issuer.dn,
      issuer_name_hash: createHash('sha256').update(cert.issuerDer).digest('hex'),
      issuer_ca_id: issuer.caId,
      trust_anchor_id: issuer.trustAnchorId,
      fingerprint: createHash('sha256').update(cert.der).digest('hex'),
      der: Buffer.from(cert.der),
      subject_dn: formatName(cert.subject),
      common_name: commonName,
      uids,
      holder: input.holder,
      medium: input.medium,
      subject: {
        commonName: commonName ?? '',
        uid: uids,
        ...optional('title', pick(OID.title)),
        ...optional('organizationalUnit', pick(OID.organizationalUnitName)),
        ...optional('locality', pick(OID.localityName)),
      },
      profile: null,
      msisdn: null,
      carrier: null,
      organization_id: organization.id,
      sector: organization.sector,
      province: organization.province,
      not_before: cert.notBefore,
      not_after: cert.notAfter,
      status: 'active',
      revoked_at: null,
      revocation_reason: null,
      suspended_at: null,
      source: 'imported',
      request_id: null,
      wrapped_key: null,
      key_delivered_at: null,
      created_at: now,
    };
  }

  /** Built-in CAs and trust anchors by the hex of their subject DER (the issuer field to match). */
  private async knownIssuers(): Promise<Map<string, KnownIssuer[]>> {
    const map = new Map<string, KnownIssuer[]>();
    const add = (subjectDer: Buffer, issuer: KnownIssuer) => {
      const key = subjectDer.toString('hex');
      map.set(key, [...(map.get(key) ?? []), issuer]);
    };
    for (const ca of this.authorities.all()) {
      if (ca.kind !== 'root' && ca.kind !== 'issuing') continue;
      add(ca.subjectDer, { dn: ca.row.subject_dn, key: publicKeyOf(ca.signer.publicKeyInfo), caId: ca.row.id, trustAnchorId: null });
    }
    for (const anchor of await listTrustAnchors(this.knex)) {
      // An anchor stored before its key was checked (#13) is skipped, not a 500 on every import.
      let key: KeyObject;
      try {
        key = checkAnchorKey(readCertificate(anchor.der).publicKeyInfo);
      } catch (err) {
        if (!this.unusableAnchors.has(anchor.id)) {
          this.unusableAnchors.add(anchor.id);
          this.logger.warn({ trustAnchorId: anchor.id, name: anchor.name, reason: (err as Error).message }, 'trust anchor skipped: its key cannot be used (delete it)');
        }
        continue;
      }
      add(Buffer.from(anchor.subject_der), { dn: anchor.subject_dn, key, caId: null, trustAnchorId: anchor.id });
    }
    return map;
  }
}

type CertificateRowOrganization = { id: string; sector: string; province: string };

const publicKeyOf = (spki: Uint8Array): KeyObject => createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
const optional = <K extends string>(key: K, value: string | undefined) => (value ? ({ [key]: value } as Record<K, string>) : {});
