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
/** A response without nonce is served again, unchanged, for this long unless a status changes. */
const REUSE_MS = 60 * 1000;
/** Bounds of the in-memory caches; each is simply emptied when full. */
const MAX_CACHED = 50_000;

const MALFORMED = encodeOcspError(OcspResponseStatus.malformedRequest);
const INTERNAL_ERROR = encodeOcspError(OcspResponseStatus.internalError);

/** A DER OCSPResponse and, for responses without a nonce, how long HTTP caches may keep it. */
export interface OcspAnswer {
  readonly der: Buffer;
  /** Seconds until nextUpdate, for Cache-Control on GET (RFC 5019 §6.2); undefined when not cacheable. */
  readonly maxAgeSeconds?: number;
  readonly producedAt?: Date;
}

const HASHES: readonly CertIdHash[] = ['sha1', 'sha256', 'sha384', 'sha512'];

/**
 * The OCSP responder (RFC 6960): answers good, revoked (suspended = certificateHold) or unknown
 * for each CertID, signed by the CA's delegated responder. Statuses and nonce-less responses are
 * kept in memory until the status-change counter moves, which is read fresh for every request.
 */
export class OcspResponder {
  private issuers = new Map<string, Authority>();
  private statuses = new Map<string, CertStatus>();
  private responses = new Map<string, OcspAnswer & { producedAt: Date }>();
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
    let request;
    try {
      request = parseOcspRequest(requestDer);
    } catch (err) {
      if (err instanceof MalformedOcspRequest) return { der: MALFORMED };
      throw err;
    }
    try {
      const counter = await this.changes.latest();
      if (counter > this.counter) {
        this.counter = counter;
        this.statuses.clear();
        this.responses.clear();
      }
      const key = request.nonce ? undefined : requestDer.toString('latin1');
      const now = this.clock.now();
      if (key) {
        const cached = this.responses.get(key);
        if (cached && now.getTime() - cached.producedAt.getTime() < REUSE_MS) {
          return { ...cached, maxAgeSeconds: secondsUntil(cached.producedAt.getTime() + OCSP_VALIDITY_MS, now) };
        }
      }
      const issuers = request.certIds.map((id) => this.issuerOf(id));
      // One response has one signer: the responder of the first CA kyso holds; CertIDs of other
      // issuers are unknown to it. A request about no CA of kyso's is answered by the issuing CA's.
      const ca = issuers.find((a) => a !== undefined) ?? this.authorities.issuing();
      const statuses = await this.statusesOf(ca, request.certIds, issuers);
      const responder = await this.responders.forCa(ca);
      const producedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
      const nextUpdate = new Date(producedAt.getTime() + OCSP_VALIDITY_MS);
      const singles = request.certIds.map((id, i) =>
        encodeSingleResponse({ certId: id.der, status: statuses[i]!, thisUpdate: producedAt, nextUpdate }),
      );
      const data = encodeResponseData(responder.identity, producedAt, singles, request.nonce);
      const der = encodeOcspResponse(responder.identity, data, await responder.signer.sign(data));
      if (!key) return { der };
      if (this.responses.size >= MAX_CACHED) this.responses.clear();
      const answer = { der, producedAt, maxAgeSeconds: secondsUntil(nextUpdate.getTime(), now) };
      if (this.counter === counter) this.responses.set(key, answer);
      return answer;
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

  /** The status of each CertID: known ones from memory, the rest in one query. */
  private async statusesOf(ca: Authority, ids: readonly OcspCertId[], issuers: ReadonlyArray<Authority | undefined>): Promise<CertStatus[]> {
    const counter = this.counter;
    const result: Array<CertStatus | undefined> = ids.map((id, i) =>
      issuers[i]?.row.id === ca.row.id && id.serial ? this.statuses.get(`${ca.row.id}:${id.serial}`) : { kind: 'unknown' },
    );
    const missing = ids.filter((id, i) => result[i] === undefined).map((id) => id.serial!);
    if (missing.length === 0) return result as CertStatus[];
    const rows = new Map((await certificateStatuses(this.knex, ca.row.id, missing)).map((r) => [r.serial, r]));
    if (this.statuses.size >= MAX_CACHED) this.statuses.clear();
    return ids.map((id, i) => {
      if (result[i]) return result[i];
      const row = rows.get(id.serial!);
      // A serial kyso never issued is unknown; it is not cached, so a later issuance shows at once.
      if (!row) return { kind: 'unknown' };
      const revocation = revocationOf(row);
      const status: CertStatus = revocation
        ? { kind: 'revoked', revocationTime: revocation.at, reasonCode: revocation.reasonCode }
        : { kind: 'good' };
      if (this.counter === counter) this.statuses.set(`${ca.row.id}:${id.serial}`, status);
      return status;
    });
  }
}

function secondsUntil(at: number, now: Date): number {
  return Math.max(0, Math.floor((at - now.getTime()) / 1000));
}
