import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit.js';
import type { Authority, CertificateAuthorities } from '../ca/authorities.js';
import { issueServiceCertificate } from '../ca/service-certificate.js';
import { accessExtensions } from '../ca/urls.js';
import type { Clock } from '../clock.js';
import { insertCas, listCas } from '../db/ca-repo.js';
import { CmsSignatureBuilder, CMS_OID } from '../pki/cms.js';
import { extKeyUsageValue, keyUsageValue, KeyUsageBit } from '../pki/extensions.js';
import { OID } from '../pki/oids.js';
import { randomSerial, type RandomSource } from '../pki/serial.js';
import {
  encodeTstInfo,
  grantedResponse,
  parseTimeStampRequest,
  rejectionResponse,
  TimeStampRequestError,
  type TimeStampRequest,
} from '../pki/tsp.js';

const YEAR_MS = 365.25 * 24 * 3600 * 1000;
/** The TSA certificate is replaced once less than this is left, so tokens never outlive it by surprise. */
const RENEW_BEFORE_MS = 90 * 24 * 3600 * 1000;

/** The TSA identity in use: its CA row and the two token encoders (with and without certificates). */
interface TsaIdentity {
  readonly authority: Authority;
  readonly withCertificates: CmsSignatureBuilder;
  readonly withoutCertificates: CmsSignatureBuilder;
}

/**
 * kyso's RFC 3161 time-stamping authority: a P-256 key with a certificate from the issuing CA
 * (critical extendedKeyUsage id-kp-timeStamping only, RFC 3161 §2.3), kept in
 * `certificate_authorities` with kind `tsa`. Tokens are CMS SignedData over a TSTInfo, signed by
 * the same fast encoder as documents; answering touches no database.
 */
export class TimeStampAuthority {
  private identity: TsaIdentity | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorities,
    private readonly masterKey: Buffer,
    private readonly random: RandomSource,
    private readonly publicUrl: string,
  ) {}

  /** Issues the TSA certificate if there is none current, then loads it (run at start-up). */
  async ensure(): Promise<void> {
    const issued = await this.knex.transaction(async (trx) => {
      // Instances starting together must not both issue a TSA certificate.
      await trx.raw('select pg_advisory_xact_lock(7215004)');
      const now = this.clock.now();
      const current = (await listCas(trx)).some(
        (r) => r.kind === 'tsa' && r.not_after.getTime() - RENEW_BEFORE_MS > now.getTime(),
      );
      if (current) return false;
      const row = await this.issueCertificate(now);
      await insertCas(trx, [row]);
      await recordAudit(trx, this.clock, { principal: null, ip: null }, {
        action: 'tsa.create',
        target: { type: 'ca', id: row.name },
        details: { subject: row.subject_dn, serial: row.serial, notAfter: row.not_after.toISOString() },
      });
      return true;
    });
    if (issued) await this.authorities.load();
    const authority = this.authorities
      .all()
      .filter((a) => a.kind === 'tsa')
      .sort((a, b) => b.row.not_after.getTime() - a.row.not_after.getTime())[0];
    if (!authority) throw new Error('no TSA certificate');
    // Tokens carry the TSA certificate and its CAs below the root, which relying parties hold.
    const chain = this.authorities.chain(authority).filter((a) => a.kind !== 'root').map((a) => a.certificateDer);
    const options = { contentType: CMS_OID.tstInfo };
    this.identity = {
      authority,
      withCertificates: new CmsSignatureBuilder(authority.signer, chain, options),
      withoutCertificates: new CmsSignatureBuilder(authority.signer, chain, { ...options, embedCertificates: false }),
    };
  }

  /** The TSA's certificate (DER). */
  certificate(): Buffer {
    return this.current().authority.certificateDer;
  }

  /** Answers a DER TimeStampReq with a DER TimeStampResp: a token, or a rejection saying why. */
  async respond(requestDer: Uint8Array): Promise<Buffer> {
    let request: TimeStampRequest;
    try {
      request = parseTimeStampRequest(requestDer);
    } catch (err) {
      if (err instanceof TimeStampRequestError) return rejectionResponse(err.failure, err.message);
      throw err;
    }
    return grantedResponse(await this.token(request));
  }

  /** A TimeStampToken (DER ContentInfo) for a request. */
  async token(request: TimeStampRequest): Promise<Buffer> {
    const identity = this.current();
    const genTime = this.clock.now();
    const tstInfo = encodeTstInfo(request, {
      serialNumber: randomSerial(this.random),
      genTime,
      tsaName: identity.authority.subjectDer,
    });
    const builder = request.certReq ? identity.withCertificates : identity.withoutCertificates;
    const digest = createHash(builder.signer.algorithm.hash).update(tstInfo).digest();
    return builder.sign({ digest, signingTime: genTime, content: tstInfo });
  }

  private current(): TsaIdentity {
    if (!this.identity) throw new Error('the TSA is not loaded');
    return this.identity;
  }

  private issueCertificate(now: Date) {
    const ca = this.authorities.issuing();
    return issueServiceCertificate(
      ca,
      {
        kind: 'tsa',
        commonName: 'Kyso Time-Stamping Authority',
        extensions: [
          { oid: OID.keyUsage, critical: true, value: keyUsageValue([KeyUsageBit.digitalSignature, KeyUsageBit.nonRepudiation]) },
          // RFC 3161 §2.3: exactly id-kp-timeStamping, and the extension MUST be critical.
          { oid: OID.extKeyUsage, critical: true, value: extKeyUsageValue([OID.kpTimeStamping]) },
          ...accessExtensions(this.publicUrl, ca.name, { ocsp: true }),
        ],
        validityMs: 5 * YEAR_MS,
        name: (serial) => `tsa-${serial.slice(0, 12)}`,
      },
      { now, masterKey: this.masterKey, random: this.random },
    );
  }
}
