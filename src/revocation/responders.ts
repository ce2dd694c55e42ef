import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { recordAudit } from '../audit/audit.js';
import type { Authority, CertificateAuthorities } from '../ca/authorities.js';
import { createOnce } from '../ca/create-once.js';
import { issueServiceCertificate } from '../ca/service-certificate.js';
import type { Clock } from '../clock.js';
import type { KeyVault, ServiceKeyMaker } from '../keys/vault.js';
import { insertCas, listCas } from '../db/ca-repo.js';
import { NULL } from '../pki/der.js';
import { extKeyUsageValue, keyUsageValue, KeyUsageBit } from '../pki/extensions.js';
import { decodeName, firstValue } from '../pki/name.js';
import { responderIdentity, type ResponderIdentity } from '../pki/ocsp.js';
import { OID } from '../pki/oids.js';
import type { RandomSource } from '../pki/serial.js';
import type { Signer } from '../pki/signer.js';

/**
 * Validity of a delegated responder certificate. It carries id-pkix-ocsp-nocheck, so nobody can
 * learn of its revocation: RFC 6960 §4.2.2.2.1 asks for a short lifetime instead.
 */
export const RESPONDER_VALIDITY_MS = 30 * 24 * 3600 * 1000;
/** A responder certificate is replaced once less than this is left. */
const RENEW_BEFORE_MS = 10 * 24 * 3600 * 1000;

/** Who signs OCSP responses for one CA: its delegated responder, with the DER pieces precomputed. */
export interface DelegatedResponder {
  readonly ca: Authority;
  readonly responder: Authority;
  readonly identity: ResponderIdentity;
  readonly signer: Signer;
  readonly notAfter: Date;
}

/**
 * The delegated OCSP responders (RFC 6960 §4.2.2.2): one key and certificate per CA, with the
 * id-kp-OCSPSigning purpose, issued by that CA, renewed well before it expires.
 */
export class OcspResponders {
  private byCaId = new Map<string, DelegatedResponder>();
  private renewing: Promise<void> | undefined;
  private lastFailure = 0;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorities,
    private readonly vault: KeyVault,
    private readonly random: RandomSource,
    private readonly logger: Logger,
  ) {}

  /** The responder that signs for `ca`, renewing its certificate when it nears its end. */
  async forCa(ca: Authority): Promise<DelegatedResponder> {
    const current = this.byCaId.get(ca.row.id);
    const now = this.clock.now().getTime();
    if (current && now < current.notAfter.getTime() - RENEW_BEFORE_MS) return current;
    if (current && now < current.notAfter.getTime()) {
      // Still valid: answer now, renew in the background (retrying a failure after a minute).
      if (now - this.lastFailure < 60_000) return current;
      this.ensure().catch((err: unknown) => {
        this.lastFailure = this.clock.now().getTime();
        this.logger.error({ err }, 'OCSP responder renewal failed');
      });
      return current;
    }
    await this.ensure();
    const renewed = this.byCaId.get(ca.row.id);
    if (!renewed) throw new Error(`no OCSP responder for CA ${ca.name}`);
    return renewed;
  }

  /**
   * Issues a responder certificate for every CA without one that is current for a while yet,
   * reloads the CAs and indexes the responders. Runs at start-up and when one nears its end.
   */
  ensure(): Promise<void> {
    this.renewing ??= this.issueMissing().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async issueMissing(): Promise<void> {
    // A round is dropped when another instance issued some of the same responders meanwhile
    // (createOnce: made outside any transaction, stored under the lock); the second looks again.
    for (let round = 0; round < 2; round++) {
      let needing: Authority[] | undefined;
      const { created } = await createOnce({ knex: this.knex, vault: this.vault }, 7215003, {
        find: async (db) => {
          const missing = await this.missingResponders(db);
          needing ??= missing;
          const unchanged = missing.length === needing.length && missing.every((ca, i) => ca === needing![i]);
          return missing.length > 0 && unchanged ? undefined : true;
        },
        make: (generate) => Promise.all(needing!.map((ca) => this.issueResponder(ca, this.clock.now(), generate))),
        store: async (trx, rows) => {
          await insertCas(trx, rows);
          await recordAudit(
            trx,
            this.clock,
            { principal: null, ip: null },
            rows.map((row) => ({
              action: 'ocsp-responder.create',
              target: { type: 'ca', id: row.name },
              details: { subject: row.subject_dn, serial: row.serial, notAfter: row.not_after.toISOString() },
            })),
          );
          return true;
        },
      });
      // Loads what this instance or another one stored since the CAs were loaded.
      await this.authorities.refresh(this.knex, 0);
      if (created || (await this.missingResponders(this.knex)).length === 0) break;
    }
    this.index();
  }

  /** The CAs with a key and no responder certificate current for RENEW_BEFORE_MS yet, as `db` has them. */
  private async missingResponders(db: Knex): Promise<Authority[]> {
    const now = this.clock.now().getTime();
    const rows = await listCas(db);
    const current = (caId: string) => rows.some((r) => r.kind === 'ocsp' && r.parent_id === caId && r.not_after.getTime() - RENEW_BEFORE_MS > now);
    return this.authorities.all().filter((a) => (a.kind === 'root' || a.kind === 'issuing') && a.hasKey && !current(a.row.id));
  }

  private issueResponder(ca: Authority, now: Date, generate: ServiceKeyMaker) {
    const caName = firstValue(decodeName(ca.subjectDer), OID.commonName) ?? ca.name;
    return issueServiceCertificate(
      ca,
      {
        kind: 'ocsp',
        commonName: `${caName} OCSP Responder`,
        extensions: [
          { oid: OID.keyUsage, critical: true, value: keyUsageValue([KeyUsageBit.digitalSignature]) },
          { oid: OID.extKeyUsage, critical: false, value: extKeyUsageValue([OID.kpOcspSigning]) },
          // RFC 6960 §4.2.2.2.1: clients need not check this certificate's own revocation status.
          { oid: OID.ocspNoCheck, critical: false, value: NULL },
        ],
        validityMs: RESPONDER_VALIDITY_MS,
        name: (serial) => `${ca.name}-ocsp-${serial.slice(0, 12)}`,
      },
      { now, generate, random: this.random },
    );
  }

  /** Picks, for each CA, its responder that lasts longest, and precomputes its response pieces. */
  private index(): void {
    const byCaId = new Map<string, DelegatedResponder>();
    for (const responder of this.authorities.all()) {
      const ca = responder.parent;
      if (responder.kind !== 'ocsp' || !ca) continue;
      const notAfter = responder.row.not_after;
      if (notAfter.getTime() <= (byCaId.get(ca.row.id)?.notAfter.getTime() ?? 0)) continue;
      // certs: the responder, and its CA unless that is a root the client already trusts.
      const certificates = [responder.certificateDer, ...(ca.parent ? [ca.certificateDer] : [])];
      byCaId.set(ca.row.id, {
        ca,
        responder,
        identity: responderIdentity(responder.signer.publicKeyInfo, responder.signer.algorithm.identifierDer, certificates),
        signer: responder.signer,
        notAfter,
      });
    }
    this.byCaId = byCaId;
  }
}
