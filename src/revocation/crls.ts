import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit.js';
import type { Authority, CertificateAuthorities } from '../ca/authorities.js';
import type { Clock } from '../clock.js';
import { nextCrlNumber } from '../db/ca-repo.js';
import { insertCrl, latestCrl, notActiveCertificates, type CrlRow } from '../db/revocation-repo.js';
import { NotFound } from '../errors.js';
import { serialBytes } from '../pki/certificate.js';
import { buildCrl, type RevokedEntry } from '../pki/crl.js';
import { revocationOf, type StatusChanges } from './status.js';

/** How long a CRL is valid (nextUpdate − thisUpdate). */
export const CRL_VALIDITY_MS = 24 * 3600 * 1000;
/** A CRL is reissued once this much of its validity has passed, so clients never hold an expired one. */
const CRL_REISSUE_AFTER_MS = CRL_VALIDITY_MS / 2;

/**
 * Publishes each CA's CRL (RFC 5280 §5). A CRL is served from memory while the status-change
 * counter has not moved; when it moves, the entries are read again and a new CRL, with the next
 * CRL number, is issued only if they differ — or when half of the current CRL's validity is gone.
 */
export class CrlPublisher {
  private readonly cache = new Map<string, { counter: number; crl: CrlRow }>();
  private readonly refreshing = new Map<string, { counter: number; crl: Promise<CrlRow> }>();

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorities,
    private readonly changes: StatusChanges,
  ) {}

  /** The current CRL of the CA named `caName`; 404 for a name that is not a CA. */
  async current(caName: string): Promise<CrlRow> {
    const authority = this.authorities.get(caName);
    if (authority.kind !== 'root' && authority.kind !== 'issuing') throw new NotFound(`no CA named ${caName}`);
    const counter = await this.changes.latest();
    const id = authority.row.id;
    for (;;) {
      const cached = this.cache.get(id);
      if (cached && cached.counter >= counter && !this.dueForReissue(cached.crl)) return cached.crl;
      const inFlight = this.refreshing.get(id);
      // Join a refresh only if it read the counter no earlier than this caller did.
      if (inFlight && inFlight.counter >= counter) return inFlight.crl;
      if (inFlight) {
        await inFlight.crl.catch(() => undefined);
        continue;
      }
      const crl = this.refresh(authority, counter).finally(() => this.refreshing.delete(id));
      this.refreshing.set(id, { counter, crl });
      return crl;
    }
  }

  private dueForReissue(crl: CrlRow): boolean {
    return this.clock.now().getTime() >= crl.this_update.getTime() + CRL_REISSUE_AFTER_MS;
  }

  private async refresh(authority: Authority, counter: number): Promise<CrlRow> {
    const rows = await notActiveCertificates(this.knex, authority.row.id, this.clock.now());
    const entries: RevokedEntry[] = rows.map((row) => {
      const revocation = revocationOf(row)!;
      return { serial: serialBytes(row.serial), revocationDate: revocation.at, reasonCode: revocation.reasonCode };
    });
    const digest = entriesDigest(entries);
    // The stored latest, not this instance's copy: another instance may have issued it already.
    const latest = await latestCrl(this.knex, authority.row.id);
    const crl =
      latest && latest.entries_digest === digest && !this.dueForReissue(latest)
        ? latest
        : await this.issue(authority, entries, digest);
    this.cache.set(authority.row.id, { counter, crl });
    return crl;
  }

  /** Reserves the next CRL number, signs and stores the CRL, and audits it: one transaction. */
  private issue(authority: Authority, entries: RevokedEntry[], digest: string): Promise<CrlRow> {
    return this.knex.transaction(async (trx) => {
      const crlNumber = await nextCrlNumber(trx, authority.row.id);
      const thisUpdate = new Date(Math.floor(this.clock.now().getTime() / 1000) * 1000);
      const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_MS);
      await recordAudit(trx, this.clock, { principal: null, ip: null }, {
        action: 'crl.issue',
        target: { type: 'ca', id: authority.name },
        details: { crlNumber, entries: entries.length, thisUpdate, nextUpdate },
      });
      const der = await buildCrl(
        { issuer: authority.subjectDer, authorityKeyId: authority.keyId, crlNumber, thisUpdate, nextUpdate, entries },
        authority.signer,
      );
      const row: CrlRow = {
        ca_id: authority.row.id,
        crl_number: crlNumber,
        this_update: thisUpdate,
        next_update: nextUpdate,
        entries_digest: digest,
        entry_count: entries.length,
        der,
      };
      await insertCrl(trx, row);
      return row;
    });
  }
}

/** SHA-256 over the entries' content, to tell whether a new CRL is needed. */
function entriesDigest(entries: readonly RevokedEntry[]): string {
  const hash = createHash('sha256');
  for (const e of entries) hash.update(`${Buffer.from(e.serial).toString('hex')}:${e.revocationDate.getTime()}:${e.reasonCode};`);
  return hash.digest('hex');
}
