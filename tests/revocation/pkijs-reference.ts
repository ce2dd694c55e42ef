import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../../src/pki/engine.js';
import { authorityKeyIdentifierValue } from '../../src/pki/extensions.js';
import type { CrlTemplate } from '../../src/pki/crl.js';
import { integer } from '../../src/pki/der.js';
import type { CertStatus, SingleResponseSpec } from '../../src/pki/ocsp.js';
import { OID } from '../../src/pki/oids.js';

/**
 * The same structures as src/pki/crl.ts and src/pki/ocsp.ts, built with pkijs: the reference
 * the fast encoders must equal byte for byte.
 */

const ab = toArrayBuffer;

/** X.509 Time as pkijs encodes it: UTCTime through 2049, GeneralizedTime after. */
const time = (date: Date) => new pkijs.Time({ type: date.getUTCFullYear() >= 2050 ? 1 : 0, value: date });

const enumerated = (value: number) => new asn1js.Enumerated({ value });

/** A pkijs CertificateRevocationList for `template`, unsigned. */
export function pkijsCrl(template: CrlTemplate, signatureAlgorithm: Uint8Array): pkijs.CertificateRevocationList {
  const algorithm = () => pkijs.AlgorithmIdentifier.fromBER(ab(signatureAlgorithm));
  return new pkijs.CertificateRevocationList({
    version: 1,
    signature: algorithm(),
    issuer: pkijs.RelativeDistinguishedNames.fromBER(ab(template.issuer)),
    thisUpdate: time(template.thisUpdate),
    nextUpdate: time(template.nextUpdate),
    ...(template.entries.length
      ? {
          revokedCertificates: template.entries.map(
            (entry) =>
              new pkijs.RevokedCertificate({
                userCertificate: new asn1js.Integer({ valueHex: ab(positive(entry.serial)) }),
                revocationDate: time(entry.revocationDate),
                ...(entry.reasonCode
                  ? {
                      crlEntryExtensions: new pkijs.Extensions({
                        extensions: [new pkijs.Extension({ extnID: OID.crlReason, extnValue: enumerated(entry.reasonCode).toBER() })],
                      }),
                    }
                  : {}),
              }),
          ),
        }
      : {}),
    crlExtensions: new pkijs.Extensions({
      extensions: [
        new pkijs.Extension({ extnID: OID.authorityKeyIdentifier, extnValue: ab(authorityKeyIdentifierValue(template.authorityKeyId)) }),
        new pkijs.Extension({ extnID: OID.crlNumber, extnValue: ab(integer(template.crlNumber)) }),
      ],
    }),
    signatureAlgorithm: algorithm(),
  });
}

/** The DER TBSCertList of a pkijs CRL (`encodeTBS` is protected in pkijs's typings). */
export function pkijsCrlTbs(crl: pkijs.CertificateRevocationList): Buffer {
  return Buffer.from((crl as unknown as { encodeTBS(): asn1js.Sequence }).encodeTBS().toBER());
}

/** The magnitude with a 0x00 in front when its top bit is set, as a positive INTEGER needs. */
function positive(serial: Uint8Array): Buffer {
  return serial[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), serial]) : Buffer.from(serial);
}

function certStatus(status: CertStatus): asn1js.BaseBlock {
  if (status.kind === 'good') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
  if (status.kind === 'unknown') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
  return new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 1 },
    value: [
      new asn1js.GeneralizedTime({ valueDate: status.revocationTime }),
      ...(status.reasonCode
        ? [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [enumerated(status.reasonCode)] })]
        : []),
    ],
  });
}

/** A pkijs ResponseData (responder by key hash) over the given single responses and nonce. */
export function pkijsResponseData(
  keyHash: Uint8Array,
  producedAt: Date,
  singles: readonly SingleResponseSpec[],
  nonce: Uint8Array | undefined,
): pkijs.ResponseData {
  return new pkijs.ResponseData({
    responderID: new asn1js.OctetString({ valueHex: ab(keyHash) }),
    producedAt,
    responses: singles.map(
      (single) =>
        new pkijs.SingleResponse({
          certID: pkijs.CertID.fromBER(ab(single.certId)),
          certStatus: certStatus(single.status),
          thisUpdate: single.thisUpdate,
          nextUpdate: single.nextUpdate,
        }),
    ),
    ...(nonce ? { responseExtensions: [new pkijs.Extension({ extnID: OID.ocspNonce, extnValue: ab(nonce) })] } : {}),
  });
}

/** A pkijs OCSPResponse (successful, basic) over ResponseData with the given signature and certs. */
export function pkijsOcspResponse(
  data: pkijs.ResponseData,
  signatureAlgorithm: Uint8Array,
  signature: Uint8Array,
  certificates: readonly Uint8Array[],
): Buffer {
  // pkijs re-emits ResponseData from its encoded view (as for a parsed response): encode it first.
  data.tbsView = new Uint8Array(data.toSchema(true).toBER());
  const basic = new pkijs.BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm: pkijs.AlgorithmIdentifier.fromBER(ab(signatureAlgorithm)),
    signature: new asn1js.BitString({ valueHex: ab(signature) }),
    ...(certificates.length ? { certs: certificates.map((c) => pkijs.Certificate.fromBER(ab(c))) } : {}),
  });
  const response = new pkijs.OCSPResponse({
    responseStatus: enumerated(0),
    responseBytes: new pkijs.ResponseBytes({
      responseType: OID.ocspBasic,
      response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
    }),
  });
  return Buffer.from(response.toSchema().toBER());
}

/** A DER OCSPRequest built with pkijs (for parser tests): CertIDs, optional nonce, optional requestor name. */
export function pkijsOcspRequest(
  certIds: ReadonlyArray<{ hash: string; nameHash: Uint8Array; keyHash: Uint8Array; serial: Uint8Array }>,
  options: { nonce?: Uint8Array; requestorName?: boolean; version?: boolean } = {},
): Buffer {
  const request = new pkijs.OCSPRequest();
  request.tbsRequest = new pkijs.TBSRequest({
    ...(options.version ? { version: 0 } : {}),
    ...(options.requestorName
      ? { requestorName: new pkijs.GeneralName({ type: 1, value: 'ocsp@example.gov.vn' }) }
      : {}),
    requestList: certIds.map(
      (id) =>
        new pkijs.Request({
          reqCert: new pkijs.CertID({
            hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: id.hash, algorithmParams: new asn1js.Null() }),
            issuerNameHash: new asn1js.OctetString({ valueHex: ab(id.nameHash) }),
            issuerKeyHash: new asn1js.OctetString({ valueHex: ab(id.keyHash) }),
            serialNumber: new asn1js.Integer({ valueHex: ab(id.serial) }),
          }),
        }),
    ),
    ...(options.nonce
      ? { requestExtensions: [new pkijs.Extension({ extnID: OID.ocspNonce, extnValue: ab(options.nonce) })] }
      : {}),
  });
  return Buffer.from(request.toSchema(true).toBER());
}
