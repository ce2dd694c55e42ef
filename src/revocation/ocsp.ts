import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Authority, CertificateAuthorities } from '../ca/authorities.js';
import type { Clock } from '../clock.js';
import { certificateStatuses, type CertificateStatusRow } from '../db/revocation-repo.js';
import type { ChangedSerials } from '../db/status-notifications.js';
import {
  encodeOcspError,
  encodeOcspResponse,
  encodeResponseData,
  encodeSingleResponse,
  issuerHashes,
  MalformedOcspRequest,
  OcspResponseStatus,
  parseOcspRequest,
  type CertIdHash,
  type CertStatus,
  type OcspCertId,
} from '../pki/ocsp.js';
import type { OcspResponders } from './responders.js';
import { revocationOf, type StatusChanges } from './status.js';

/**
 * How long a response is valid (nextUpdate − thisUpdate). Clients may keep a response this long,
 * so it stays short; every instance answers a committed change within a second.
 */
export const OCSP_VALIDITY_MS = 3600 * 1000;
/** A pre-produced answer is produced again once this much of its validity is gone. */
const RENEW_AFTER_MS = OCSP_VALIDITY_MS / 2;
/** How often pre-produced answers are looked over: those asked for are renewed ahead of time, the rest dropped. */
const RENEW_CHECK_MS = 60_000;
/**
 * Longest an HTTP cache (a CDN) may keep a GET answer (max-age, RFC 5019 §6.2): a revocation then
 * reaches clients behind a cache within a minute, while the cache takes the load.
 */
export const HTTP_MAX_AGE_MS = 60_000;
/** Most answers kept pre-produced; the oldest go first. */
const MAX_PRE_PRODUCED = 100_000;

const MALFORMED = encodeOcspError(OcspResponseStatus.malformedRequest);
const INTERNAL_ERROR = encodeOcspError(OcspResponseStatus.internalError);

/** A DER OCSPResponse; for a pre-produced one (no nonce, one CertID), what HTTP caching headers need. */
export interface OcspAnswer {
  readonly der: Buffer;
  readonly cache?: {
    readonly thisUpdate: Date;
    readonly nextUpdate: Date;
    /** Quoted entity tag over the DER, for ETag / If-None-Match. */
    readonly etag: string;
  };
}

const HASHES: readonly CertIdHash[] = ['sha1', 'sha256', 'sha384', 'sha512'];

/** A signed answer about one CertID, kept and served as is until its status changes or it is renewed. */
interface PreProduced {
  readonly der: Buffer;
  readonly status: CertStatus;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly etag: string;
  readonly ca: Authority;
  readonly certId: OcspCertId;
  /** Asked for since it was produced: worth renewing. */
  used: boolean;
}

/**
 * The OCSP responder (RFC 6960): answers good, revoked (suspended = certificateHold) or unknown
 * for each CertID, signed by the CA's delegated responder.
 *
 * Requests without nonce about one certificate — what RFC 5019 clients and CDNs send — get a
 * pre-produced answer: signed once, kept in memory per CertID, produced again at once when that
 * certificate's status change commits (StatusChanges names the serials) and ahead of its
 * nextUpdate while it is still asked for. Answers are produced on first request rather than for
 * every certificate at start-up, which would sign millions of answers nobody asks for. Requests
 * with a nonce, or several CertIDs, are signed fresh. While the status listener is not proven
 * alive, each answer's status is read from the database again first (the kept signature is
 * reused when the status is the same).
 */
export class OcspResponder {
  private issuers = new Map<string, Authority>();
  /** `authorities.version` the index was built from: a rollover or an imported CA rebuilds it. */
  private issuersVersion = -1;
  /** By CertID DER (latin1): the answer, and the serial index used to drop what a change touches. */
  private readonly answers = new Map<string, PreProduced>();
  private readonly keysBySerial = new Map<string, Set<string>>();
  private readonly producing = new Map<string, { generation: number; entry: Promise<PreProduced | undefined> }>();
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorities,
    private readonly responders: OcspResponders,
    private readonly changes: StatusChanges,
    private readonly logger: Logger,
  ) {
    changes.subscribe((serials) => this.changed(serials));
  }

  /** Starts renewing pre-produced answers ahead of their nextUpdate. */
  start(): void {
    this.renewTimer ??= setInterval(() => {
      this.renewDue().catch((err: unknown) => this.logger.error({ err }, 'renewing pre-produced OCSP answers failed'));
    }, RENEW_CHECK_MS);
    this.renewTimer.unref();
  }

  /** Stops the renewal timer. */
  stop(): void {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  /** Answers a DER OCSPRequest. Never throws: bad requests get malformedRequest, failures internalError. */
  async respond(requestDer: Buffer): Promise<OcspAnswer> {
    try {
      await this.authorities.refresh();
      let request;
      try {
        request = parseOcspRequest(requestDer);
      } catch (err) {
        if (err instanceof MalformedOcspRequest) return { der: MALFORMED };
        throw err;
      }
      const now = this.clock.now();
      const issuers = request.certIds.map((id) => this.issuerOf(id));
      // One response has one signer: the responder of the first CA kyso holds; CertIDs of other
      // issuers are unknown to it. A request about no CA of kyso's is answered by the issuing CA's.
      const ca = issuers.find((a) => a !== undefined) ?? this.authorities.issuing();
      const only = request.certIds.length === 1 ? request.certIds[0]! : undefined;
      if (!request.nonce && only?.serial && issuers[0]) {
        const entry = await this.preProduced(ca, only, now);
        if (entry) {
          entry.used = true;
          return { der: entry.der, cache: entry };
        }
      }
      const statuses = await this.statuses(ca, request.certIds, issuers);
      const responder = await this.responders.forCa(ca);
      const thisUpdate = wholeSeconds(now);
      const nextUpdate = new Date(thisUpdate.getTime() + OCSP_VALIDITY_MS);
      const singles = request.certIds.map((id, i) => encodeSingleResponse({ certId: id.der, status: statuses[i]!, thisUpdate, nextUpdate }));
      const data = encodeResponseData(responder.identity, thisUpdate, singles, request.nonce);
      return { der: encodeOcspResponse(responder.identity, data, await responder.signer.sign(data)) };
    } catch (err) {
      this.logger.error({ err }, 'OCSP request failed');
      return { der: INTERNAL_ERROR };
    }
  }

  /**
   * The pre-produced answer for one CertID of `ca`, produced now if there is none current; undefined
   * for a serial kyso never issued (answered `unknown`, never kept: a later issuance shows at once).
   */
  private async preProduced(ca: Authority, certId: OcspCertId, now: Date): Promise<PreProduced | undefined> {
    const key = certId.der.toString('latin1');
    const kept = this.answers.get(key);
    if (!this.changes.trusted()) {
      // Changes may go unheard: check the status, reuse the signature only if it still says so.
      const [row] = await certificateStatuses(this.knex, ca.row.id, [certId.serial!]);
      if (!row) return undefined;
      const status = statusOf(row);
      if (kept && sameStatus(kept.status, status) && current(kept, now)) return kept;
      return this.sign(ca, certId, status, now);
    }
    if (kept && current(kept, now)) return kept;
    const generation = this.changes.generation;
    const inFlight = this.producing.get(key);
    if (inFlight && inFlight.generation === generation) return inFlight.entry;
    const entry = this.produce(ca, certId, now, generation);
    const pending = { generation, entry };
    this.producing.set(key, pending);
    entry
      .finally(() => {
        if (this.producing.get(key) === pending) this.producing.delete(key);
      })
      .catch(() => undefined);
    return entry;
  }

  /** Reads the status, signs the answer and keeps it unless a change was heard meanwhile. */
  private async produce(ca: Authority, certId: OcspCertId, now: Date, generation: number): Promise<PreProduced | undefined> {
    const [row] = await certificateStatuses(this.knex, ca.row.id, [certId.serial!]);
    if (!row) return undefined;
    const entry = await this.sign(ca, certId, statusOf(row), now);
    if (this.changes.generation === generation && this.changes.trusted()) this.keep(entry);
    return entry;
  }

  private async sign(ca: Authority, certId: OcspCertId, status: CertStatus, now: Date): Promise<PreProduced> {
    const responder = await this.responders.forCa(ca);
    const thisUpdate = wholeSeconds(now);
    const nextUpdate = new Date(thisUpdate.getTime() + OCSP_VALIDITY_MS);
    const single = encodeSingleResponse({ certId: certId.der, status, thisUpdate, nextUpdate });
    const data = encodeResponseData(responder.identity, thisUpdate, [single], undefined);
    const der = encodeOcspResponse(responder.identity, data, await responder.signer.sign(data));
    const etag = `"${createHash('sha256').update(der).digest('base64url').slice(0, 27)}"`;
    return { der, status, thisUpdate, nextUpdate, etag, ca, certId, used: false };
  }

  private keep(entry: PreProduced): void {
    const key = entry.certId.der.toString('latin1');
    this.forget(key);
    if (this.answers.size >= MAX_PRE_PRODUCED) this.forget(this.answers.keys().next().value!);
    this.answers.set(key, entry);
    const serial = entry.certId.serial!;
    const keys = this.keysBySerial.get(serial);
    if (keys) keys.add(key);
    else this.keysBySerial.set(serial, new Set([key]));
  }

  private forget(key: string): PreProduced | undefined {
    const entry = this.answers.get(key);
    if (!entry) return undefined;
    this.answers.delete(key);
    const keys = this.keysBySerial.get(entry.certId.serial!);
    keys?.delete(key);
    if (keys?.size === 0) this.keysBySerial.delete(entry.certId.serial!);
    return entry;
  }

  /** A committed status change: drop what it touches, and produce again at once what was asked for. */
  private changed(serials: ChangedSerials): void {
    if (serials === 'all') {
      this.answers.clear();
      this.keysBySerial.clear();
      return;
    }
    const again: PreProduced[] = [];
    for (const serial of serials) {
      for (const key of this.keysBySerial.get(serial) ?? []) {
        const entry = this.forget(key);
        if (entry?.used) again.push(entry);
      }
    }
    if (again.length) void this.reproduce(again);
  }

  /** Produces answers again (after a change, or ahead of nextUpdate); failures leave them to the next request. */
  private async reproduce(entries: readonly PreProduced[]): Promise<void> {
    const now = this.clock.now();
    await Promise.all(
      entries.map((e) =>
        this.preProduced(e.ca, e.certId, now).catch((err: unknown) => this.logger.warn({ err }, 'producing an OCSP answer again failed')),
      ),
    );
  }

  /** Renews answers still asked for before RENEW_AFTER_MS is reached; drops the others. */
  private async renewDue(): Promise<void> {
    const due = this.clock.now().getTime() + RENEW_CHECK_MS;
    const renew: PreProduced[] = [];
    for (const [key, entry] of this.answers) {
      if (entry.thisUpdate.getTime() + RENEW_AFTER_MS > due) continue;
      this.forget(key);
      if (entry.used) renew.push(entry);
    }
    for (let i = 0; i < renew.length; i += 1000) await this.reproduce(renew.slice(i, i + 1000));
  }

  /** The CA a CertID names by its issuer name and key hashes, if kyso holds it. */
  private issuerOf(id: OcspCertId): Authority | undefined {
    if (!id.hashAlgorithm) return undefined;
    if (this.issuersVersion !== this.authorities.version) this.indexIssuers();
    return this.issuers.get(`${id.hashAlgorithm}:${id.issuerNameHash.toString('hex')}:${id.issuerKeyHash.toString('hex')}`);
  }

  /** Indexes the CAs kyso holds keys of by their CertID hashes (an external root answers for itself). */
  private indexIssuers(): void {
    const issuers = new Map<string, Authority>();
    this.issuersVersion = this.authorities.version;
    for (const ca of this.authorities.all()) {
      if ((ca.kind !== 'root' && ca.kind !== 'issuing') || !ca.hasKey) continue;
      for (const hash of HASHES) {
        const { nameHash, keyHash } = issuerHashes(hash, ca.subjectDer, ca.signer.publicKeyInfo);
        issuers.set(`${hash}:${nameHash.toString('hex')}:${keyHash.toString('hex')}`, ca);
      }
    }
    this.issuers = issuers;
  }

  /**
   * The status of each CertID: from a kept answer while changes are heard, the rest in one query;
   * unknown for CertIDs of other issuers and serials kyso never issued.
   */
  private async statuses(ca: Authority, ids: readonly OcspCertId[], issuers: ReadonlyArray<Authority | undefined>): Promise<CertStatus[]> {
    const trusted = this.changes.trusted();
    const result = ids.map((id, i): CertStatus | undefined => {
      if (issuers[i]?.row.id !== ca.row.id || !id.serial) return UNKNOWN;
      return trusted ? this.answers.get(id.der.toString('latin1'))?.status : undefined;
    });
    const missing = ids.filter((_, i) => result[i] === undefined).map((id) => id.serial!);
    if (missing.length === 0) return result as CertStatus[];
    const rows = new Map((await certificateStatuses(this.knex, ca.row.id, missing)).map((r) => [r.serial, r]));
    return ids.map((id, i) => {
      if (result[i]) return result[i];
      const row = rows.get(id.serial!);
      return row ? statusOf(row) : UNKNOWN;
    });
  }
}

const UNKNOWN: CertStatus = { kind: 'unknown' };

/** The OCSP status a stored row stands for. */
function statusOf(row: CertificateStatusRow): CertStatus {
  const revocation = revocationOf(row);
  return revocation ? { kind: 'revoked', revocationTime: revocation.at, reasonCode: revocation.reasonCode } : { kind: 'good' };
}

function sameStatus(a: CertStatus, b: CertStatus): boolean {
  if (a.kind !== 'revoked' || b.kind !== 'revoked') return a.kind === b.kind;
  return a.revocationTime.getTime() === b.revocationTime.getTime() && a.reasonCode === b.reasonCode;
}

/** Whether a kept answer may still be served (renewal normally replaces it well before). */
const current = (entry: PreProduced, now: Date) => now.getTime() < entry.thisUpdate.getTime() + RENEW_AFTER_MS;

const wholeSeconds = (date: Date) => new Date(Math.floor(date.getTime() / 1000) * 1000);
