import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit.js';
import type { Authority, CertificateAuthorities } from '../ca/authorities.js';
import type { Clock } from '../clock.js';
import { crlDer, insertCrl, latestCrl, notActiveCertificates, type CrlRow } from '../db/revocation-repo.js';
import { NotFound } from '../errors.js';
import { serialBytes } from '../pki/certificate.js';
import { buildCrl, type RevokedEntry } from '../pki/crl.js';
import { revocationOf, type StatusChanges } from './status.js';

/** How long a CRL is valid (nextUpdate − thisUpdate). */
export const CRL_VALIDITY_MS = 24 * 3600 * 1000;
/** A CRL is reissued once this much of its validity has passed, so clients never hold an expired one. */
const CRL_REISSUE_AFTER_MS = CRL_VALIDITY_MS / 2;

/** Attempts at numbering a CRL before giving up: each lost attempt means another one was stored. */
const NUMBERING_ATTEMPTS = 10;

/**
 * Publishes each CA's CRL (RFC 5280 §5). A CRL is served from memory until a certificate status
 * change commits (StatusChanges); then the entries are read again and a new CRL, with the next
 * CRL number, is issued only if they differ from the latest stored one — or when half of its
 * validity is gone. Instances share one numbering: the latest stored CRL is read before the
 * entries, so the entries reflect everything committed before it was, and the new CRL takes the
 * number after it only if nobody has meanwhile (else the work is redone on the newer one). A
 * higher number therefore never lists less, one change gives one number however many instances
 * serve, and no lock is held while the CRL is built and signed.
 */
export class CrlPublisher {
  private readonly cache = new Map<string, { generation: number; crl: CrlRow }>();
  private readonly refreshing = new Map<string, { generation: number; crl: Promise<CrlRow> }>();

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorities,
    private readonly changes: StatusChanges,
  ) {}

  /** The current CRL of the CA named `caName`; 404 for a name that is not a CA. */
  async current(caName: string): Promise<CrlRow> {
    const authority = await this.authorities.find(caName);
    if (authority.kind !== 'root' && authority.kind !== 'issuing') throw new NotFound(`no CA named ${caName}`);
    if (!authority.hasKey) throw new NotFound(`${caName} is an external CA: its CRL is published by its own operator`);
    const id = authority.row.id;
    const generation = this.changes.generation;
    // While the status listener is not proven alive, every caller reads afresh.
    if (!this.changes.trusted()) return this.refresh(authority, generation);
    const cached = this.cache.get(id);
    if (cached && cached.generation === generation && !this.dueForReissue(cached.crl)) return cached.crl;
    const inFlight = this.refreshing.get(id);
    if (inFlight && inFlight.generation === generation) return inFlight.crl;
    const refresh = { generation, crl: this.refresh(authority, generation) };
    this.refreshing.set(id, refresh);
    refresh.crl
      .finally(() => {
        if (this.refreshing.get(id) === refresh) this.refreshing.delete(id);
      })
      .catch(() => undefined);
    return refresh.crl;
  }

  private dueForReissue(crl: CrlRow): boolean {
    return this.clock.now().getTime() >= crl.this_update.getTime() + CRL_REISSUE_AFTER_MS;
  }

  private async refresh(authority: Authority, generation: number): Promise<CrlRow> {
    const caId = authority.row.id;
    for (let attempt = 0; attempt < NUMBERING_ATTEMPTS; attempt++) {
      // The latest stored CRL first, the entries after it: they then hold every entry it holds.
      const latest = await latestCrl(this.knex, caId);
      const now = this.clock.now();
      const rows = await notActiveCertificates(this.knex, caId, now);
      const entries: RevokedEntry[] = rows.map((row) => {
        const revocation = revocationOf(row)!;
        return { serial: serialBytes(row.serial), revocationDate: revocation.at, reasonCode: revocation.reasonCode };
      });
      const digest = entriesDigest(entries);
      let crl: CrlRow | undefined;
      if (latest && latest.entries_digest === digest && !this.dueForReissue(latest)) {
        const mine = this.cache.get(caId)?.crl;
        crl = mine?.crl_number === latest.crl_number ? mine : { ...latest, der: await crlDer(this.knex, caId, latest.crl_number) };
      } else {
        crl = await this.issue(authority, entries, digest, latest);
      }
      if (!crl) continue; // another process stored that number first: start again from its CRL
      if (this.changes.generation === generation) this.cache.set(caId, { generation, crl });
      return crl;
    }
    throw new Error(`CRL of ${authority.name}: no free CRL number after ${NUMBERING_ATTEMPTS} attempts`);
  }

  /**
   * Signs the CRL numbered after `latest` and stores it with its audit event in one transaction;
   * undefined when that number was stored by another process meanwhile.
   */
  private async issue(authority: Authority, entries: RevokedEntry[], digest: string, latest: CrlRow | undefined): Promise<CrlRow | undefined> {
    const crlNumber = (latest?.crl_number ?? 0) + 1;
    // thisUpdate never goes back, even if this instance's clock is behind the one that issued `latest`.
    const now = Math.floor(this.clock.now().getTime() / 1000) * 1000;
    const thisUpdate = new Date(Math.max(now, latest?.this_update.getTime() ?? 0));
    const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_MS);
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
    return this.knex.transaction(async (trx) => {
      if (!(await insertCrl(trx, row))) return undefined;
      await recordAudit(trx, this.clock, { principal: null, ip: null }, {
        action: 'crl.issue',
        target: { type: 'ca', id: authority.name },
        details: { crlNumber, entries: entries.length, thisUpdate, nextUpdate },
      });
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
