import type { Knex } from 'knex';
import type { Authority, CertificateAuthorities } from '../ca/authorities.js';
import { ensureServiceAuthority, issueServiceCertificate } from '../ca/service-certificate.js';
import { accessExtensions } from '../ca/urls.js';
import type { Clock } from '../clock.js';
import type { KeyVault, ServiceKeyMaker } from '../keys/vault.js';
import { extKeyUsageValue, keyUsageValue, KeyUsageBit } from '../pki/extensions.js';
import { OID } from '../pki/oids.js';
import type { RandomSource } from '../pki/serial.js';
import { KYSO_TSA_POLICY, TimeStamper, type TimeStampRequest } from '../pki/tsp.js';

/** The TSA certificate is replaced once less than this is left, so tokens never outlive it by surprise. */
const RENEW_BEFORE_MS = 90 * 24 * 3600 * 1000;

/** The TSA identity in use: its CA row and the stamper that signs with it. */
interface TsaIdentity {
  readonly authority: Authority;
  readonly stamper: TimeStamper;
}

/**
 * kyso's RFC 3161 time-stamping authority: a P-256 key with a certificate from the issuing CA
 * (critical extendedKeyUsage id-kp-timeStamping only, RFC 3161 §2.3), kept in
 * `certificate_authorities` with kind `tsa`. Tokens are made by src/pki/tsp.ts's TimeStamper;
 * answering touches no database.
 */
export class TimeStampAuthority {
  private identity: TsaIdentity | undefined;
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorities,
    private readonly vault: KeyVault,
    private readonly random: RandomSource,
    private readonly publicUrl: string,
    /** The TSA policy OID its tokens state (`<KYSO_POLICY_ARC>.2.1`). */
    private readonly policy: string = KYSO_TSA_POLICY,
  ) {}

  /** Issues the TSA certificate if there is none current, then loads it (run at start-up). */
  async ensure(): Promise<void> {
    const authority = await ensureServiceAuthority(
      { knex: this.knex, clock: this.clock, authorities: this.authorities, vault: this.vault },
      { kind: 'tsa', lockKey: 7215004, renewBeforeMs: RENEW_BEFORE_MS, action: 'tsa.create', issue: (now, generate) => this.issueCertificate(now, generate) },
    );
    // Tokens carry the TSA certificate and its CAs below the root, which relying parties hold.
    const chain = this.authorities.chain(authority).filter((a) => a.kind !== 'root').map((a) => a.certificateDer);
    const identity = { signer: authority.signer, chain, subjectDer: authority.subjectDer, policy: this.policy };
    this.identity = { authority, stamper: new TimeStamper(identity, () => this.clock.now(), this.random) };
  }

  /** The TSA's certificate (DER). */
  certificate(): Buffer {
    return this.current().authority.certificateDer;
  }

  /** Answers a DER TimeStampReq with a DER TimeStampResp: a token, or a rejection saying why. */
  async respond(requestDer: Uint8Array): Promise<Buffer> {
    return (await this.signing()).stamper.respond(requestDer);
  }

  /** A TimeStampToken (DER ContentInfo) for a request. Callers hold no transaction (renewal opens one). */
  async token(request: TimeStampRequest): Promise<Buffer> {
    return (await this.signing()).stamper.token(request);
  }

  /**
   * The identity to sign with, renewed first when its certificate nears its end: a server that
   * runs for years must not stamp with a certificate that expired. Concurrent callers share one renewal.
   */
  private async signing(): Promise<TsaIdentity> {
    const identity = this.current();
    if (identity.authority.row.not_after.getTime() - RENEW_BEFORE_MS > this.clock.now().getTime()) return identity;
    this.renewing ??= this.ensure().finally(() => {
      this.renewing = undefined;
    });
    await this.renewing;
    return this.current();
  }

  private current(): TsaIdentity {
    if (!this.identity) throw new Error('the TSA is not loaded');
    return this.identity;
  }

  private issueCertificate(now: Date, generate: ServiceKeyMaker) {
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
        validityYears: 5,
        name: (serial) => `tsa-${serial.slice(0, 12)}`,
      },
      { now, generate, random: this.random },
    );
  }
}
