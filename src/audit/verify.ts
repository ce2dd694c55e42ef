import { X509Certificate, verify as verifySignature } from 'node:crypto';
import type { Knex } from 'knex';
import type { CertificateAuthorities } from '../ca/authorities.js';
import {
  chainedAuditRows,
  checkpointsAscending,
  checkpointsDescending,
  countPendingAudit,
  type CheckpointRow,
} from '../db/audit-repo.js';
import { hashEvent } from './audit.js';
import { checkpointMessage } from './sequencer.js';

/** What `GET /api/v1/audit/verify` answers. */
export interface AuditVerification {
  ok: boolean;
  /** Chained events checked. */
  checked: number;
  /** Events committed but not chained yet (the sequencer chains them within a second). */
  pending: number;
  /** Signed checkpoints checked. */
  checkpoints: number;
  /** `seq` of the first event found altered, missing before it, or in a stretch its checkpoint does not match. */
  firstBrokenSeq?: number;
  /** Why the log does not verify. */
  reason?: string;
}

const PAGE = 5000;

/**
 * Checks the audit log in one snapshot (repeatable read): every chained event's position, link
 * and hash, and every checkpoint: its signature by an audit key whose certificate a root loaded
 * at start-up issued (under an external root, an issuing CA whose key kyso holds: audit-key.ts),
 * and that the chain's hash at its position is the one it signed. Rewriting events and
 * recomputing every hash after them is caught at the first checkpoint after the change, since
 * nobody without the audit key can sign a new one. Every chained event must be covered by a
 * checkpoint (the sequencer writes both in one transaction).
 */
export async function verifyAuditChain(knex: Knex, authorities: CertificateAuthorities): Promise<AuditVerification> {
  const issuers = authorities
    .all()
    .filter((a) => a.kind === 'root' || (a.kind === 'issuing' && a.hasKey))
    .map((a) => new X509Certificate(a.certificateDer));
  return knex.transaction(
    async (trx) => {
      const pending = await countPendingAudit(trx);
      const signers = new Map<string, X509Certificate | null>();
      const trustedSigner = (row: CheckpointRow): X509Certificate | null => {
        let cert = signers.get(row.ca_id);
        if (cert === undefined) {
          const candidate = new X509Certificate(row.certificate);
          cert = issuers.some((ca) => candidate.checkIssued(ca) && candidate.verify(ca.publicKey)) ? candidate : null;
          signers.set(row.ca_id, cert);
        }
        return cert;
      };

      let prev = '0'.repeat(64);
      let position = 0;
      let checked = 0;
      let checkpointsChecked = 0;
      let stretchStart: number | undefined; // seq of the first event after the last checkpoint
      let lastCheckpoint = 0;
      let checkpoints: CheckpointRow[] = [];
      let nextCheckpoint = 0;
      let allRead = false;
      const fail = (reason: string, firstBrokenSeq?: number): AuditVerification => ({
        ok: false,
        checked,
        pending,
        checkpoints: checkpointsChecked,
        ...(firstBrokenSeq === undefined ? {} : { firstBrokenSeq }),
        reason,
      });
      const upcoming = async (): Promise<CheckpointRow | undefined> => {
        if (nextCheckpoint >= checkpoints.length && !allRead) {
          checkpoints = await checkpointsAscending(trx, lastCheckpoint, PAGE);
          nextCheckpoint = 0;
          allRead = checkpoints.length < PAGE;
        }
        return checkpoints[nextCheckpoint];
      };

      for (;;) {
        const rows = await chainedAuditRows(trx, position, PAGE);
        if (rows.length === 0) break;
        for (const row of rows) {
          const seq = Number(row.seq);
          stretchStart ??= seq;
          if (Number(row.chain_seq) !== position + 1) return fail(`the event at chain position ${position + 1} is missing`, seq);
          if (row.prev_hash !== prev) return fail(`event ${seq} does not link to the one before it`, seq);
          if (hashEvent(row, prev) !== row.hash) return fail(`event ${seq} was altered after it was chained`, seq);
          prev = row.hash;
          position += 1;
          checked += 1;
          const checkpoint = await upcoming();
          if (checkpoint && Number(checkpoint.seq) < position) {
            return fail(`checkpoint ${checkpoint.seq} does not close a stretch`, stretchStart);
          }
          if (checkpoint && Number(checkpoint.seq) === position) {
            const signer = trustedSigner(checkpoint);
            if (!signer) return fail(`checkpoint ${position} is signed by a certificate no CA of this service issued`, stretchStart);
            const message = checkpointMessage(position, checkpoint.hash, new Date(checkpoint.at));
            const signed = verifySignature('sha256', message, { key: signer.publicKey, dsaEncoding: 'der' }, checkpoint.signature);
            if (!signed) return fail(`checkpoint ${position} has a bad signature`, stretchStart);
            if (checkpoint.hash !== prev) {
              return fail(`the events up to chain position ${position} differ from what checkpoint ${position} signed`, stretchStart);
            }
            checkpointsChecked += 1;
            nextCheckpoint += 1;
            lastCheckpoint = position;
            stretchStart = undefined;
          }
        }
      }
      if (stretchStart !== undefined) {
        return fail(`the events after chain position ${lastCheckpoint} are not covered by a signed checkpoint`, stretchStart);
      }
      const extra = await upcoming();
      if (extra) return fail(`checkpoint ${extra.seq} signs events that are no longer there`);
      return { ok: true, checked, pending, checkpoints: checkpointsChecked };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}

/** A checkpoint as `GET /api/v1/audit/checkpoints` shows it (binary values base64). */
export interface CheckpointView {
  seq: number;
  hash: string;
  at: string;
  signature: string;
  certificate: string;
}

/** Checkpoints newest first; `beforeSeq` pages back. */
export async function listCheckpoints(knex: Knex, query: { beforeSeq?: number; limit: number }): Promise<CheckpointView[]> {
  const rows = await checkpointsDescending(knex, query.beforeSeq, query.limit);
  return rows.map((r) => ({
    seq: Number(r.seq),
    hash: r.hash,
    at: new Date(r.at).toISOString(),
    signature: Buffer.from(r.signature).toString('base64'),
    certificate: Buffer.from(r.certificate).toString('base64'),
  }));
}
