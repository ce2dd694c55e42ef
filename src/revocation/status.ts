import type { Logger } from 'pino';
import type { Knex } from 'knex';
import type { CertificateStatusRow } from '../db/revocation-repo.js';
import { HEARTBEAT_MS, onLocalStatusCommit, watchStatusChanges, type ChangedSerials, type StatusWatch } from '../db/status-notifications.js';
import { CRL_REASON_CODES, reasonCode } from '../pki/crl.js';

/**
 * How recently the listening connection must have answered a heartbeat (sent every HEARTBEAT_MS)
 * for caches to be served: a change that commits while the connection is silently dead, or while
 * this process is paused, is then missed for less than this, inside the one second api.md allows.
 */
const TRUST_WINDOW_MS = 1000 - HEARTBEAT_MS;

/**
 * Which certificate statuses may have changed since a cached answer was read, ordered by commit
 * (style.md habit 13). Ids of certificate_status_changes are taken at insert while transactions
 * commit in any order, so "the highest id has not moved" proved nothing (issue #12: `good` served
 * for revoked certificates for a minute). Instead every status change notifies, inside its
 * committing transaction, on a channel each process LISTENs to on a connection of its own; the
 * database delivers notifications after the commit and in commit order. Each delivery bumps
 * `generation`: an answer read at an older generation is not served again. Chosen over a
 * commit-time sequence (it would need a lock at commit, the one-row fault of habit 3) and over
 * snapshot-aware reads (a query per request, which is what the cache is there to avoid).
 *
 * Caches are only trusted while the listening connection proves itself (a heartbeat answered no
 * longer than TRUST_WINDOW_MS ago, and notifications come before that answer); otherwise, while it
 * is lost or this process was paused, every answer is read afresh. PGlite runs in this process and
 * notifies before its commit returns, so there caches are always trusted.
 */
export class StatusChanges {
  private generationValue = 0;
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private watch: StatusWatch | undefined;
  private unsubscribeLocal: (() => void) | undefined;
  private readonly listeners = new Set<(serials: ChangedSerials) => void>();

  constructor(
    private readonly knex: Knex,
    private readonly logger: Logger,
  ) {}

  /** Starts listening; until then nothing is trusted. */
  async start(): Promise<void> {
    if (this.watch) return;
    this.watch = await watchStatusChanges(this.knex, {
      changed: (serials) => this.changed(serials),
      confirmed: (sentAt) => {
        this.confirmedAt = Math.max(this.confirmedAt, sentAt);
      },
      lost: (err) => {
        this.confirmedAt = Number.NEGATIVE_INFINITY;
        this.changed('all');
        this.logger.warn({ err }, 'certificate status listener lost: answering from the database until it is back');
      },
    });
    // A server's NOTIFY comes a moment after the commit; this process's own commits are signalled
    // at once. PGlite notifies inside the commit: there the signal would repeat the change (and
    // drop the answer the first one is producing again).
    if (this.watch.kind === 'server') this.unsubscribeLocal = onLocalStatusCommit((serials) => this.changed(serials));
  }

  /** Stops listening. */
  async close(): Promise<void> {
    this.unsubscribeLocal?.();
    const watch = this.watch;
    this.watch = undefined;
    this.confirmedAt = Number.NEGATIVE_INFINITY;
    await watch?.close();
  }

  /** Bumped by every committed status change this process learns of. */
  get generation(): number {
    return this.generationValue;
  }

  /** Whether an answer read at the current generation may be served again now. */
  trusted(): boolean {
    if (!this.watch) return false;
    return this.watch.kind === 'in-process' || performance.now() - this.confirmedAt < TRUST_WINDOW_MS;
  }

  /** Calls `listener` with the serials of each committed change (after `generation` moved). */
  subscribe(listener: (serials: ChangedSerials) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(serials: ChangedSerials): void {
    this.generationValue++;
    for (const listener of this.listeners) listener(serials);
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
