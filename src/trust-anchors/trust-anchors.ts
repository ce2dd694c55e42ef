import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit/audit.js';
import { requireRole } from '../auth/authorize.js';
import type { Actor, Principal } from '../auth/principal.js';
import { checkAnchorKey } from '../certificates/key-policy.js';
import { deleteTrustAnchor, findTrustAnchor, findTrustAnchorByFingerprint, insertTrustAnchor, listTrustAnchors, type TrustAnchorRow } from '../db/trust-anchors-repo.js';
import { Conflict, fromPki, NotFound, Refused } from '../errors.js';
import { formatName } from '../pki/name.js';
import { toPem } from '../pki/pem.js';
import { readCertificateInput, verifyCertificateSignature } from '../pki/x509-reader.js';

/** A trust anchor as the API shows it. */
export interface TrustAnchorView {
  id: string;
  name: string;
  subject: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  fingerprint: string;
  pem: string;
  createdAt: string;
}

/**
 * CA certificates of other PKIs (the national root CA, the government's specialized CA) that kyso
 * trusts: import accepts what they issued, verification builds chains to them.
 */
export class TrustAnchorService {
  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
  ) {}

  /**
   * Adds a trust anchor (admin): a CA certificate (basicConstraints cA) whose key passes the CSR
   * key checks, so that import and verification can use it (#13: a key Node cannot parse broke
   * every import); a self-signed one must verify.
   */
  async create(actor: Actor, input: { name: string; pem: string }): Promise<TrustAnchorView> {
    requireRole(actor.principal, 'admin');
    const cert = fromPki(() => readCertificateInput(input.pem));
    if (!cert.isCa) throw new Refused('a trust anchor must be a CA certificate (basicConstraints cA=TRUE)');
    const key = checkAnchorKey(cert.publicKeyInfo);
    if (cert.subjectDer.equals(cert.issuerDer)) {
      if (!(await verifyCertificateSignature(cert, key))) throw new Refused('the self-signed certificate does not verify with its own key');
    }
    const fingerprint = createHash('sha256').update(cert.der).digest('hex');
    return this.knex.transaction(async (trx) => {
      if (await findTrustAnchorByFingerprint(trx, fingerprint)) throw new Conflict('this certificate is already a trust anchor');
      const row: TrustAnchorRow = {
        id: randomUUID(),
        name: input.name,
        subject_dn: formatName(cert.subject),
        subject_der: Buffer.from(cert.subjectDer),
        der: Buffer.from(cert.der),
        fingerprint,
        serial: cert.serial,
        not_before: cert.notBefore,
        not_after: cert.notAfter,
        created_by: actor.principal!.id,
        created_at: this.clock.now(),
      };
      await insertTrustAnchor(trx, row);
      await recordAudit(trx, this.clock, actor, {
        action: 'trust-anchor.create',
        target: { type: 'trust-anchor', id: row.id },
        details: { name: row.name, subject: row.subject_dn, fingerprint },
      });
      return toTrustAnchorView(row);
    });
  }

  /** Removes a trust anchor (admin); certificates imported under it stay. 404 for an unknown id. */
  async remove(actor: Actor, id: string): Promise<void> {
    requireRole(actor.principal, 'admin');
    await this.knex.transaction(async (trx) => {
      const row = await findTrustAnchor(trx, id);
      if (!row) throw new NotFound('no such trust anchor');
      await deleteTrustAnchor(trx, row.id);
      await recordAudit(trx, this.clock, actor, {
        action: 'trust-anchor.delete',
        target: { type: 'trust-anchor', id: row.id },
        details: { name: row.name, subject: row.subject_dn, fingerprint: row.fingerprint },
      });
    });
  }

  /** Every trust anchor (admin, officer, auditor). */
  async list(principal: Principal): Promise<TrustAnchorView[]> {
    requireRole(principal, 'admin', 'officer', 'auditor');
    return (await listTrustAnchors(this.knex)).map(toTrustAnchorView);
  }
}

/** The API view of a trust anchor row. */
export function toTrustAnchorView(row: TrustAnchorRow): TrustAnchorView {
  return {
    id: row.id,
    name: row.name,
    subject: row.subject_dn,
    serial: row.serial,
    notBefore: new Date(row.not_before).toISOString(),
    notAfter: new Date(row.not_after).toISOString(),
    fingerprint: row.fingerprint,
    pem: toPem(row.der, 'CERTIFICATE'),
    createdAt: new Date(row.created_at).toISOString(),
  };
}
