import type { Knex } from 'knex';
import { latestStatusChange, type CertificateStatusRow } from '../db/revocation-repo.js';
import { CRL_REASON_CODES, reasonCode } from '../pki/crl.js';

/**
 * The certificate-status change counter, read fresh for every caller but with one query for
 * all callers that wait together: a caller never gets a value read before it arrived, so CRLs
 * and OCSP answers reflect every change committed before the request (on any instance).
 */
export class StatusChanges {
  private running: Promise<number> | undefined;
  private queued: Promise<number> | undefined;

  constructor(private readonly knex: Knex) {}

  /** The latest status-change id, read after this call began. */
  latest(): Promise<number> {
    if (!this.running) return (this.running = this.read());
    // The query under way may have started before this caller arrived: join the next one.
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return (this.running = this.read());
      });
    return this.queued;
  }

  private read(): Promise<number> {
    const query: Promise<number> = latestStatusChange(this.knex).finally(() => {
      if (this.running === query) this.running = undefined;
    });
    return query;
  }
}

/** How a not-active certificate is revoked: when, and with which RFC 5280 reason code. */
export interface Revocation {
  readonly at: Date;
  readonly reasonCode: number;
}

/**
 * The revocation a status row stands for: a suspension is `certificateHold` from its start
 * (RFC 5280 §5.3.1); undefined for an active certificate.
 */
export function revocationOf(row: CertificateStatusRow): Revocation | undefined {
  if (row.status === 'suspended') {
    return { at: new Date(row.suspended_at ?? row.revoked_at ?? 0), reasonCode: CRL_REASON_CODES.certificateHold };
  }
  if (row.status === 'revoked') return { at: new Date(row.revoked_at ?? 0), reasonCode: reasonCode(row.revocation_reason) };
  return undefined;
}
