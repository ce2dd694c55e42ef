import type { Knex } from 'knex';
import { latestStatusChange, type CertificateStatusRow } from '../db/revocation-repo.js';
import { CRL_REASON_CODES, reasonCode } from '../pki/crl.js';

/**
 * The certificate-status change counter, read fresh for every caller but with one query for all
 * callers that wait together: a caller never gets a value read before it arrived, so CRLs and OCSP
 * answers reflect every change committed before the request (on any instance). Callers arriving
 * in the same turn of the event loop, or while a read is under way, share the next read — PGlite
 * runs a query almost synchronously, so without the turn's grace every caller would read alone.
 */
export class StatusChanges {
  private running: Promise<number> | undefined;
  private next: Promise<number> | undefined;

  constructor(private readonly knex: Knex) {}

  /** The latest status-change id, read after this call began. */
  latest(): Promise<number> {
    this.next ??= (this.running ? this.running.then(noop, noop) : new Promise<void>((resolve) => setImmediate(resolve))).then(() => {
      this.next = undefined;
      const read = latestStatusChange(this.knex);
      this.running = read;
      read.then(
        () => this.finished(read),
        () => this.finished(read),
      );
      return read;
    });
    return this.next;
  }

  private finished(read: Promise<number>): void {
    if (this.running === read) this.running = undefined;
  }
}

const noop = (): void => undefined;

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
