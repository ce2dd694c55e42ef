import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Authority, CertificateAuthorities } from '../ca/authorities.js';
import type { Clock } from '../clock.js';
import { certificateStatuses } from '../db/revocation-repo.js';
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

/** How long a response is valid (nextUpdate − thisUpdate). Revocation is visible at once to clients that ask again. */
export const OCSP_VALIDITY_MS = 3600 * 1000;
/**
 * A response without nonce is served again, unchanged, for this long unless a status changes; HTTP
 * caches get the same bound (max-age), so a revocation reaches GET clients within a minute.
 */
const REUSE_MS = 60 * 1000;
/** Bounds of the in-memory caches; each is simply emptied when full. */
const MAX_CACHED = 50_000;

const MALFORMED = encodeOcspError(OcspResponseStatus.malformedRequest);
const INTERNAL_ERROR = encodeOcspError(OcspResponseStatus.internalError);

/** A DER OCSPResponse and, for responses without a nonce, how long HTTP caches may keep it. */
export interface OcspAnswer {
  readonly der: Buffer;
  /** Seconds HTTP caches may keep it, for Cache-Control on GET (RFC 5019 §6.2); undefined when not cacheable. */
  readonly maxAgeSeconds?: number;
  readonly producedAt?: Date;
}

const HASHES: readonly CertIdHash[] = ['sha1', 'sha256', 'sha384', 'sha512'];

/**
 * The OCSP responder (RFC 6960): answers good, revoked (suspended = certificateHold) or unknown
 * for each CertID, signed by the CA's delegated responder. Encoded statuses and nonce-less
 * responses are kept in memory for a minute at most, and dropped as soon as a status changes.
 */
export class OcspResponder {
  private issuers = new Map<string, Authority>();
  private readonly singles = new Map<string, CachedSingle>();
  private readonly responses = new Map<string, { der: Buffer; producedAt: Date }>();
  private counter = -1;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorities,
    private readonly responders: OcspResponders,
    private readonly changes: StatusChanges,
    private readonly logger: Logger,
  ) {}

  /** Answers a DER OCSPRequest. Never throws: bad requests get malformedRequest, failures internalError. */
  async respond(requestDer: Buffer): Promise<OcspAnswer> {
    try {
      const counter = await this.changes.latest();
      if (counter > this.counter) {
        this.counter = counter;
        this.singles.clear();
        this.responses.clear();
      }
      const now = this.clock.now();
      // A request without nonce asked again gets the same response: looked up before parsing.
      const key = requestDer.toString('latin1');
      const cached = this.responses.get(key);
      if (cached && now.getTime() - cached.producedAt.getTime() < REUSE_MS) {
        return { ...cached, maxAgeSeconds: secondsUntil(cached.producedAt.getTime() + REUSE_MS, now) };
      }
      let request;
      try {
        request = parseOcspRequest(requestDer);
      } catch (err) {
        if (err instanceof MalformedOcspRequest) return { der: MALFORMED };
        throw err;
      }
      const issuers = request.certIds.map((id) => this.issuerOf(id));
      // One response has one signer: the responder of the first CA kyso holds; CertIDs of other
      // issuers are unknown to it. A request about no CA of kyso's is answered by the issuing CA's.
      const ca = issuers.find((a) => a !== undefined) ?? this.authorities.issuing();
      const singles = await this.singleResponses(ca, request.certIds, issuers, now, counter);
      const responder = await this.responders.forCa(ca);
      const producedAt = wholeSeconds(now);
      const data = encodeResponseData(responder.identity, producedAt, singles.map((s) => s.der), request.nonce);
      const der = encodeOcspResponse(responder.identity, data, await responder.signer.sign(data));
      if (request.nonce) return { der };
      const answer = { der, producedAt };
      if (this.counter === counter) {
        if (this.responses.size >= MAX_CACHED) this.responses.clear();
        this.responses.set(key, answer);
      }
      return { ...answer, maxAgeSeconds: secondsUntil(producedAt.getTime() + REUSE_MS, now) };
    } catch (err) {
      this.logger.error({ err }, 'OCSP request failed');
      return { der: INTERNAL_ERROR };
    }
  }

  /** The CA a CertID names by its issuer name and key hashes, if kyso holds it. */
  private issuerOf(id: OcspCertId): Authority | undefined {
    if (!id.hashAlgorithm) return undefined;
    if (this.issuers.size === 0) this.indexIssuers();
    return this.issuers.get(`${id.hashAlgorithm}:${id.issuerNameHash.toString('hex')}:${id.issuerKeyHash.toString('hex')}`);
  }

  /** Indexes the CAs by their CertID hashes; the set of CAs is fixed once kyso has started. */
  private indexIssuers(): void {
    const issuers = new Map<string, Authority>();
    for (const ca of this.authorities.all()) {
      if (ca.kind !== 'root' && ca.kind !== 'issuing') continue;
      for (const hash of HASHES) {
        const { nameHash, keyHash } = issuerHashes(hash, ca.subjectDer, ca.signer.publicKeyInfo);
        issuers.set(`${hash}:${nameHash.toString('hex')}:${keyHash.toString('hex')}`, ca);
      }
    }
    this.issuers = issuers;
  }

  /**
   * The encoded SingleResponse of each CertID: from memory when answered in the last minute and no
   * status has changed since, the rest looked up in one query.
   */
  private async singleResponses(
    ca: Authority,
    ids: readonly OcspCertId[],
    issuers: ReadonlyArray<Authority | undefined>,
    now: Date,
    counter: number,
  ): Promise<CachedSingle[]> {
    const thisUpdate = wholeSeconds(now);
    const single = (id: OcspCertId, status: CertStatus): CachedSingle => ({
      der: encodeSingleResponse({ certId: id.der, status, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + OCSP_VALIDITY_MS) }),
      thisUpdate,
    });
    const result = ids.map((id, i) => {
      if (issuers[i]?.row.id !== ca.row.id || !id.serial) return single(id, { kind: 'unknown' });
      const cached = this.singles.get(id.der.toString('latin1'));
      return cached && now.getTime() - cached.thisUpdate.getTime() < REUSE_MS ? cached : undefined;
    });
    const missing = ids.filter((_, i) => result[i] === undefined).map((id) => id.serial!);
    if (missing.length === 0) return result as CachedSingle[];
    const rows = new Map((await certificateStatuses(this.knex, ca.row.id, missing)).map((r) => [r.serial, r]));
    return ids.map((id, i) => {
      if (result[i]) return result[i];
      const row = rows.get(id.serial!);
      // A serial kyso never issued is unknown; it is not cached, so a later issuance shows at once.
      if (!row) return single(id, { kind: 'unknown' });
      const revocation = revocationOf(row);
      const answer = single(
        id,
        revocation ? { kind: 'revoked', revocationTime: revocation.at, reasonCode: revocation.reasonCode } : { kind: 'good' },
      );
      if (this.counter === counter) {
        if (this.singles.size >= MAX_CACHED) this.singles.clear();
        this.singles.set(id.der.toString('latin1'), answer);
      }
      return answer;
    });
  }
}

/** An encoded SingleResponse and the thisUpdate it carries. */
interface CachedSingle {
  readonly der: Buffer;
  readonly thisUpdate: Date;
}

const wholeSeconds = (date: Date) => new Date(Math.floor(date.getTime() / 1000) * 1000);

/** Whole seconds from `now` until `at` (ms), never negative. */
function secondsUntil(at: number, now: Date): number {
  return Math.max(0, Math.floor((at - now.getTime()) / 1000));
}
