import * as asn1js from 'asn1js';
import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import { CMS_OID, CmsSignatureBuilder } from './cms.js';
import { explicit, generalizedTime, integer, octetString, oid, sequence, unsignedInteger, utf8String } from './der.js';
import { ensurePkijsEngine, toArrayBuffer } from './engine.js';
import { keyUsageValue } from './extensions.js';
import { OID } from './oids.js';
import { randomSerial, type RandomSource } from './serial.js';
import type { Signer } from './signer.js';

/**
 * kyso's default time-stamp policy, `<KYSO_POLICY_ARC>.2.1` under the default arc (see
 * DEFAULT_POLICY_ARC in certificates/profiles.ts). Every arc stays below 2^32: GnuTLS, NSS and
 * Botan cannot parse the 128-bit arcs of 2.25.<UUID> (issue #13 item 13).
 */
export const KYSO_TSA_POLICY = '1.3.6.1.4.1.32473.1.2.1';

const HASH_BY_OID: Record<string, { name: 'sha256' | 'sha384' | 'sha512'; length: number }> = {
  [OID.sha256]: { name: 'sha256', length: 32 },
  [OID.sha384]: { name: 'sha384', length: 48 },
  [OID.sha512]: { name: 'sha512', length: 64 },
};

/** PKIFailureInfo bits (RFC 3161 §2.4.2). */
export const FailureInfo = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  systemFailure: 25,
} as const;
export type FailureReason = keyof typeof FailureInfo;

/** A request kyso cannot answer with a token; becomes a `rejection` TimeStampResp. */
export class TimeStampRequestError extends Error {
  constructor(
    readonly failure: FailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** A TimeStampReq (RFC 3161 §2.4.1) that kyso accepts. */
export interface TimeStampRequest {
  readonly hash: 'sha256' | 'sha384' | 'sha512';
  readonly hashedMessage: Buffer;
  /** The request's MessageImprint exactly as sent: the token must carry the same (§2.4.2). */
  readonly messageImprint: Buffer;
  /** The nonce INTEGER as sent, to echo back. */
  readonly nonce?: Buffer;
  readonly certReq: boolean;
}

/** Parses a DER TimeStampReq; throws TimeStampRequestError for what must be rejected. */
function parseTimeStampRequest(der: Uint8Array, policy: string = KYSO_TSA_POLICY): TimeStampRequest {
  ensurePkijsEngine();
  const asn1 = asn1js.fromBER(toArrayBuffer(der));
  if (asn1.offset === -1 || asn1.offset !== der.length) {
    throw new TimeStampRequestError('badDataFormat', 'not a DER TimeStampReq');
  }
  let request: pkijs.TimeStampReq;
  try {
    request = new pkijs.TimeStampReq({ schema: asn1.result });
  } catch {
    throw new TimeStampRequestError('badDataFormat', 'not a TimeStampReq');
  }
  if (request.version !== 1) throw new TimeStampRequestError('badRequest', `unsupported version ${request.version}`);
  const hash = HASH_BY_OID[request.messageImprint.hashAlgorithm.algorithmId];
  if (!hash) {
    throw new TimeStampRequestError('badAlg', `unsupported hash algorithm ${request.messageImprint.hashAlgorithm.algorithmId}`);
  }
  const hashedMessage = Buffer.from(request.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (hashedMessage.length !== hash.length) {
    throw new TimeStampRequestError('badDataFormat', `a ${hash.name} imprint has ${hash.length} bytes, not ${hashedMessage.length}`);
  }
  if (request.reqPolicy && request.reqPolicy !== policy) {
    throw new TimeStampRequestError('unacceptedPolicy', `policy ${request.reqPolicy} is not offered`);
  }
  if (request.extensions?.length) throw new TimeStampRequestError('unacceptedExtension', 'no request extensions are supported');
  const fields = (asn1.result as asn1js.Sequence).valueBlock.value;
  return {
    hash: hash.name,
    hashedMessage,
    messageImprint: Buffer.from(fields[1]!.valueBeforeDecodeView),
    nonce: request.nonce ? Buffer.from(request.nonce.toBER()) : undefined,
    certReq: request.certReq ?? false,
  };
}

/** What a TSTInfo (RFC 3161 §2.4.2) states besides the request's imprint and nonce. */
export interface TstInfoFields {
  readonly serialNumber: Uint8Array;
  readonly genTime: Date;
  /** DER Name of the TSA, given in the `tsa` field so clients can match the signer. */
  readonly tsaName: Uint8Array;
  /** The TSA policy OID; KYSO_TSA_POLICY when absent. */
  readonly policy?: string;
}

/** DER TSTInfo: policy, imprint, serial, genTime (whole seconds, accuracy ±1 s), nonce, tsa name. */
function encodeTstInfo(request: TimeStampRequest, fields: TstInfoFields): Buffer {
  return sequence(
    integer(1),
    oid(fields.policy ?? KYSO_TSA_POLICY),
    request.messageImprint,
    unsignedInteger(fields.serialNumber),
    generalizedTime(fields.genTime),
    sequence(integer(1)), // Accuracy { seconds 1 }
    ...(request.nonce ? [request.nonce] : []),
    explicit(0, explicit(4, fields.tsaName)), // tsa [0] GeneralName directoryName [4]
  );
}

/** A `granted` TimeStampResp carrying `token` (a DER ContentInfo). */
function grantedResponse(token: Uint8Array): Buffer {
  return sequence(sequence(integer(0)), token);
}

/** A `rejection` TimeStampResp with a reason for humans and the PKIFailureInfo bit for machines. */
function rejectionResponse(failure: FailureReason, text: string): Buffer {
  const statusString = sequence(utf8String(text));
  return sequence(sequence(integer(2), statusString, keyUsageValue([FailureInfo[failure]])));
}

/** The request kyso makes of its own TSA for a CAdES-B-T signature time-stamp (certificates wanted). */
export function imprintRequest(hash: 'sha256' | 'sha384' | 'sha512', digest: Uint8Array): TimeStampRequest {
  const hashOid = Object.keys(HASH_BY_OID).find((o) => HASH_BY_OID[o]!.name === hash)!;
  return {
    hash,
    hashedMessage: Buffer.from(digest),
    messageImprint: sequence(sequence(oid(hashOid)), octetString(digest)),
    certReq: true,
  };
}

/** A time-stamping identity: the key, its certificate and the CAs below the root (DER), and its DER Name. */
export interface TimeStampIdentity {
  readonly signer: Signer;
  readonly chain: readonly Uint8Array[];
  readonly subjectDer: Uint8Array;
  /** The policy its tokens state and requests may ask for; KYSO_TSA_POLICY when absent. */
  readonly policy?: string;
}

/**
 * Answers TimeStampReqs for one identity (RFC 3161): tokens are CMS SignedData over a TSTInfo,
 * signed by the fast CMS encoder, carrying the certificates only when the request asks for them.
 */
export class TimeStamper {
  private readonly withCertificates: CmsSignatureBuilder;
  private readonly withoutCertificates: CmsSignatureBuilder;

  constructor(
    private readonly identity: TimeStampIdentity,
    private readonly now: () => Date,
    private readonly random: RandomSource,
  ) {
    const options = { contentType: CMS_OID.tstInfo };
    this.withCertificates = new CmsSignatureBuilder(identity.signer, identity.chain, options);
    this.withoutCertificates = new CmsSignatureBuilder(identity.signer, identity.chain, { ...options, embedCertificates: false });
  }

  /** Answers a DER TimeStampReq with a DER TimeStampResp: a token, or a rejection saying why. */
  async respond(requestDer: Uint8Array): Promise<Buffer> {
    let request: TimeStampRequest;
    try {
      request = parseTimeStampRequest(requestDer, this.identity.policy);
    } catch (err) {
      if (err instanceof TimeStampRequestError) return rejectionResponse(err.failure, err.message);
      throw err;
    }
    return grantedResponse(await this.token(request));
  }

  /** A TimeStampToken (DER ContentInfo) for a request. */
  async token(request: TimeStampRequest): Promise<Buffer> {
    const genTime = this.now();
    const tstInfo = encodeTstInfo(request, {
      serialNumber: randomSerial(this.random),
      genTime,
      tsaName: this.identity.subjectDer,
      ...(this.identity.policy ? { policy: this.identity.policy } : {}),
    });
    const builder = request.certReq ? this.withCertificates : this.withoutCertificates;
    const digest = createHash(builder.signer.algorithm.hash).update(tstInfo).digest();
    return builder.sign({ digest, signingTime: genTime, content: tstInfo });
  }
}
