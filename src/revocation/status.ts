import type { Knex } from 'knex';
import { latestStatusChange, listenForStatusChanges, type CertificateStatusRow } from '../db/revocation-repo.js';
import { CRL_REASON_CODES, reasonCode } from '../pki/crl.js';

/**
 * A number that grows whenever certificate statuses change, current for every caller: CRLs and
 * OCSP answers reflect every change committed before the request. On PostgreSQL (several instances
 * may write) it is the latest status-change id, read with one query for all callers that wait
 * together — a caller never gets a value read before it arrived. The embedded database is this
 * process's alone and notifies at commit, so there it is a local count bumped by the notification.
 */
export class StatusChanges {
  private running: Promise<number> | undefined;
  private next: Promise<number> | undefined;
  private notified: number | undefined;

  constructor(private readonly knex: Knex) {}

  /** Subscribes to commit-time notifications where the database offers them in step with commits. */
  async start(): Promise<void> {
    const listening = await listenForStatusChanges(this.knex, () => {
      this.notified = (this.notified ?? 0) + 1;
    });
    if (listening) this.notified ??= 0;
  }

  /** The current value, read after this call began. */
  latest(): Promise<number> {
    if (this.notified !== undefined) return Promise.resolve(this.notified);
    // Callers arriving in the same event-loop turn, or while a read is under way, share the next read.
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
