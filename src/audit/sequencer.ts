import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { chainHead, pendingAuditRows, StretchOutdated, tryLockSequencer, writeChainedStretch } from '../db/audit-repo.js';
import { hashEvent } from './audit.js';
import type { AuditKey } from './audit-key.js';

/** Events chained per transaction; a longer backlog takes several, back to back. */
const STRETCH_LIMIT = 5000;

/**
 * The bytes a checkpoint's signature covers: `seq` as 8 bytes big-endian, the 32 bytes of the
 * chain hash at that position, and `at` as its ISO 8601 string in UTF-8.
 */
export function checkpointMessage(seq: number, hash: string, at: Date): Buffer {
  const position = Buffer.alloc(8);
  position.writeBigUInt64BE(BigInt(seq));
  return Buffer.concat([position, Buffer.from(hash, 'hex'), Buffer.from(at.toISOString(), 'utf8')]);
}

/**
 * Chains committed audit events in the order it sees them commit, and closes each chained
 * stretch with a checkpoint signed by the audit key.
 *
 * Every process runs one; each pass writes under a transaction-scoped advisory lock taken with
 * `pg_try_advisory_xact_lock` and only onto the head it read, so one stretch at a time is chained
 * across processes and instances, and when a process dies mid-pass its transaction and lock go
 * with it and the next pass of any other process carries on (PGlite: one process, the lock is
 * always free). A pass reads every committed
 * event that has no place in the chain yet, whatever its `seq`: an event appended earlier but
 * committed later is chained by the first pass that sees it, after the ones chained before its
 * commit. Events that first become visible in the same pass are ordered by `seq`.
 */
export class AuditSequencer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly key: AuditKey,
    private readonly logger: Logger,
    /** Time between passes; with the pass itself, events wait at most about this long to be chained. */
    private readonly intervalMs = 400,
  ) {}

  /** Starts passing every `intervalMs`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  /** Stops the timer and waits for a pass under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /**
   * Chains everything committed so far, waiting while another process holds the lock; returns
   * how many events this process chained. For tests and the CLI.
   */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const chained = await this.exclusive(() => this.pass());
      if (chained === null) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      total += chained;
      if (chained < STRETCH_LIMIT) return total;
    }
  }

  /**
   * Chains up to STRETCH_LIMIT committed events after the head and closes them with a signed
   * checkpoint; returns how many it chained, or null when another process holds the lock or moved
   * the chain meanwhile (nothing written: the next pass reads again). The reading, hashing and
   * signing happen outside any transaction (style.md habit 3; on PGlite a transaction holds the
   * one connection every request needs); one short transaction takes the lock and writes the
   * links, the new head and the checkpoint only if the head is still the one read.
   */
  async pass(): Promise<number | null> {
    // The key first: renewing it opens its own transaction and reloads the CAs.
    const key = await this.key.current();
    const head = await chainHead(this.knex);
    const pending = await pendingAuditRows(this.knex, STRETCH_LIMIT);
    // Events chained before checkpoints existed (migration 015) get one at the first pass.
    if (pending.length === 0 && head.checkpointSeq === head.seq) return 0;
    let prev = head.hash;
    let position = head.seq;
    const links = pending.map((row) => {
      position += 1;
      const link = { seq: Number(row.seq), chain_seq: position, prev_hash: prev, hash: hashEvent(row, prev) };
      prev = link.hash;
      return link;
    });
    const at = this.clock.now();
    const signature = Buffer.from(await key.signer.sign(checkpointMessage(position, prev, at)));
    try {
      return await this.knex.transaction(async (trx) => {
        if (!(await tryLockSequencer(trx))) return null;
        await writeChainedStretch(trx, head, links, { seq: position, hash: prev, at, signature, ca_id: key.row.id });
        return pending.length;
      });
    } catch (err) {
      if (err instanceof StretchOutdated) return null;
      throw err;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.exclusive(async () => {
        try {
          while (!this.stopped && (await this.pass()) === STRETCH_LIMIT);
        } catch (err) {
          this.logger.error({ err }, 'audit sequencer pass failed; retrying');
        }
      }).finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Runs `work` after any pass this process has under way, so its passes never overlap. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = (this.running ?? Promise.resolve()).catch(() => undefined).then(work);
    this.running = run;
    return run;
  }
}
