import type { Knex } from 'knex';
import type { Authority, CertificateAuthorities } from '../ca/authorities.js';
import { ensureServiceAuthority, issueServiceCertificate } from '../ca/service-certificate.js';
import type { Clock } from '../clock.js';
import type { KeyVault, ServiceKeyMaker } from '../keys/vault.js';
import { keyUsageValue, KeyUsageBit } from '../pki/extensions.js';
import { OID } from '../pki/oids.js';
import type { RandomSource } from '../pki/serial.js';
import { accessExtensions } from '../ca/urls.js';

const YEAR_MS = 365.25 * 24 * 3600 * 1000;
/** Replaced this long before it ends, so a checkpoint is never signed by an expired certificate. */
const RENEW_BEFORE_MS = 90 * 24 * 3600 * 1000;

/**
 * The key that signs audit checkpoints: ECDSA P-256 behind the Signer interface, its certificate
 * issued by the highest CA of kyso's own that holds its key (the root; under an external root,
 * kyso's issuing CA) with keyUsage digitalSignature + nonRepudiation, kept in
 * `certificate_authorities` with kind `audit`, its key held by the key vault like the other
 * service keys (sealed by the master key, or inside the PKCS#11 token). Checkpoints name the row that signed them, so older ones stay verifiable after
 * a renewal.
 */
export class AuditKey {
  private authority: Authority | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorities,
    private readonly vault: KeyVault,
    private readonly random: RandomSource,
    private readonly publicUrl: string,
  ) {}

  /** Issues the audit certificate if none is current, then loads it (start-up, and before it nears its end). */
  async ensure(): Promise<Authority> {
    this.authority = await ensureServiceAuthority(
      { knex: this.knex, clock: this.clock, authorities: this.authorities, vault: this.vault },
      { kind: 'audit', lockKey: 7215005, renewBeforeMs: RENEW_BEFORE_MS, action: 'audit-key.create', issue: (now, generate) => this.issue(now, generate) },
    );
    return this.authority;
  }

  /** The key to sign with now, renewed first when its certificate nears its end. */
  async current(): Promise<Authority> {
    const authority = this.authority;
    if (authority && authority.row.not_after.getTime() - RENEW_BEFORE_MS > this.clock.now().getTime()) return authority;
    return this.ensure();
  }

  private issue(now: Date, generate: ServiceKeyMaker) {
    // The highest CA above the one in use whose key kyso holds (after a rollover, the new one's):
    // kyso's root, or the issuing CA itself when the root is external (the national root).
    const issuer = this.authorities
      .chain(this.authorities.issuing())
      .filter((a) => a.hasKey)
      .at(-1)!;
    return issueServiceCertificate(
      issuer,
      {
        kind: 'audit',
        commonName: 'Kyso Audit Log',
        extensions: [
          { oid: OID.keyUsage, critical: true, value: keyUsageValue([KeyUsageBit.digitalSignature, KeyUsageBit.nonRepudiation]) },
          ...accessExtensions(this.publicUrl, issuer.name, { ocsp: issuer.kind !== 'root' }),
        ],
        validityMs: 5 * YEAR_MS,
        name: (serial) => `audit-${serial.slice(0, 12)}`,
      },
      { now, generate, random: this.random },
    );
  }
}
