import { createHash, generateKeyPairSync } from 'node:crypto';
import { PDFDocument, PDFName } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate } from '../../src/pki/certificate.js';
import { CmsSignatureBuilder } from '../../src/pki/cms.js';
import { basicConstraintsValue, keyUsageValue, KeyUsageBit } from '../../src/pki/extensions.js';
import { encodeName } from '../../src/pki/name.js';
import { readBer } from '../../src/pki/der-reader.js';
import { OID } from '../../src/pki/oids.js';
import { KeyObjectSigner } from '../../src/pki/signer.js';
import { verifyMethod } from '../../src/pki/verify/algorithms.js';
import { certificateFacts, type CertificateFacts } from '../../src/pki/verify/certificate-facts.js';
import { conclude } from '../../src/pki/verify/conclude.js';
import { examineCms } from '../../src/pki/verify/document.js';
import type { Examination, VerificationContext } from '../../src/pki/verify/examine.js';
import { parsePdfDate } from '../../src/pki/verify/pdf.js';
import { analysePdf } from '../../src/pki/verify/pdf-structure.js';
import { crlStatus, embeddedStatus, ocspStatus, parseCrl, UnusableRevocationData } from '../../src/pki/verify/revocation-data.js';
import { mutations } from './fixtures.js';
import { addSignature, unsignedPdf } from './pdf-fixture.js';
import { malformedRevocationData, signedCrl, signedOcspResponse } from './revocation-fixtures.js';

const DOCUMENT = Buffer.from('Sổ điểm lớp 11B2\n', 'utf8');
const NOW = new Date('2026-06-01T00:00:00Z');
const day = (n: number) => new Date(NOW.getTime() + n * 86400_000);

const caKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const caSigner = new KeyObjectSigner(caKey);
const signer = new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
const caName = encodeName([{ type: OID.commonName, value: 'Pure Test CA' }]);
let caDer: Buffer;
let context: VerificationContext;

/** A certificate for `signer`'s key under the test CA. */
const leaf = (commonName: string, serial: string, notBefore = day(-100), notAfter = day(100)) =>
  buildCertificate(
    {
      serialNumber: Buffer.from(serial, 'hex'),
      issuer: caName,
      subject: encodeName([{ type: OID.commonName, value: commonName }]),
      notBefore,
      notAfter,
      subjectPublicKeyInfo: signer.publicKeyInfo,
      extensions: [{ oid: OID.keyUsage, critical: true, value: keyUsageValue([KeyUsageBit.digitalSignature]) }],
    },
    caSigner,
  );

const digest = createHash('sha256').update(DOCUMENT).digest();

beforeAll(async () => {
  caDer = await buildCertificate(
    {
      serialNumber: Buffer.from('01', 'hex'),
      issuer: caName,
      subject: caName,
      notBefore: day(-1000),
      notAfter: day(1000),
      subjectPublicKeyInfo: caSigner.publicKeyInfo,
      extensions: [{ oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(true) }],
    },
    caSigner,
  );
  context = { trusted: [certificateFacts(caDer)], known: [], now: NOW };
});

/** Examines one detached CMS over DOCUMENT. */
function examineOne(cms: Buffer): Examination {
  const examined = examineCms(cms, DOCUMENT, context);
  expect(examined.problem).toBeUndefined();
  return examined.signatures[0]!.exam;
}

/** kyso's record of an active certificate. */
const GOOD = { status: 'active' as const };

describe('signing-certificate-v2 binding (RFC 5035)', () => {
  it('refuses a certificate swapped for another with the same issuer, serial and key (NO_SIGNING_CERTIFICATE_FOUND)', async () => {
    const named = await leaf('Alice', '2a');
    // same length (ECDSA signatures vary in length: draw again), issuer, serial and key: only the ESS hash tells them apart
    let substitute = await leaf('Alicf', '2a');
    while (substitute.length !== named.length) substitute = await leaf('Alicf', '2a');
    const cms = await new CmsSignatureBuilder(signer, [named, caDer]).sign({ digest, signingTime: day(-1) });
    expect(conclude(examineOne(cms), { now: NOW, format: 'CMS', record: GOOD }).indication).toBe('TOTAL_PASSED');

    const swapped = Buffer.from(cms.toString('latin1').replace(named.toString('latin1'), substitute.toString('latin1')), 'latin1');
    expect(swapped.equals(cms)).toBe(false);
    const report = conclude(examineOne(swapped), { now: NOW, format: 'CMS' });
    expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND' });
    expect(report.reasons[0]).toMatch(/signing-certificate-v2/);
  });
});

describe('judgement at the best signature time (ETSI EN 319 102-1)', () => {
  let exam: () => Promise<Examination>;
  beforeAll(() => {
    exam = async () => examineOne(await new CmsSignatureBuilder(signer, [await leaf('Bob', '3b'), caDer]).sign({ digest, signingTime: day(-10) }));
  });
  const revoked = (at: Date) => ({ status: 'revoked' as const, revokedAt: at, revocationReason: 'keyCompromise' });

  it('without proof of existence a revoked certificate is REVOKED_NO_POE, whatever time the signer claims', async () => {
    for (const at of [day(-20), day(-5)]) {
      expect(conclude(await exam(), { now: NOW, format: 'CMS', record: revoked(at) })).toMatchObject({
        indication: 'INDETERMINATE',
        subIndication: 'REVOKED_NO_POE',
        certificateStatus: 'revoked',
      });
    }
  });

  it('with a time-stamp before the revocation it passes; after it, TOTAL_FAILED/REVOKED', async () => {
    const stamped = async (at: Date) => Object.assign(await exam(), { proofOfExistence: at });
    const before = conclude(await stamped(day(-10)), { now: NOW, format: 'CMS', record: revoked(day(-5)) });
    expect(before).toMatchObject({ indication: 'TOTAL_PASSED', certificateStatus: 'revoked' });
    expect(before.warnings.join()).toMatch(/revoked after the time-stamped signing time/);
    const after = conclude(await stamped(day(-3)), { now: NOW, format: 'CMS', record: revoked(day(-5)) });
    expect(after).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'REVOKED' });
  });

  it('without any revocation information it is INDETERMINATE/TRY_LATER, never TOTAL_PASSED (issue #13 item 11)', async () => {
    const report = conclude(await exam(), { now: NOW, format: 'CMS', unavailable: ['CRL http://ca.example/ca.crl: HTTP 404'] });
    expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER', certificateStatus: 'unknown', revocationSource: 'none' });
    expect(report.reasons[0]).toMatch(/no revocation information.*HTTP 404/);
    expect(conclude(await exam(), { now: NOW, format: 'CMS', record: GOOD, source: 'ocsp' })).toMatchObject({
      indication: 'TOTAL_PASSED',
      certificateStatus: 'good',
      revocationSource: 'ocsp',
    });
  });

  it('a suspended certificate is INDETERMINATE/TRY_LATER', async () => {
    const report = conclude(await exam(), { now: NOW, format: 'CMS', record: { status: 'suspended', suspendedAt: day(-1) } });
    expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER', certificateStatus: 'suspended' });
  });

  it('expiry before the signing time: OUT_OF_BOUNDS_NO_POE when claimed, EXPIRED when time-stamped; not yet valid: NOT_YET_VALID', async () => {
    const old = await leaf('Carol', '4c', day(-400), day(-30));
    const cms = await new CmsSignatureBuilder(signer, [old, caDer]).sign({ digest, signingTime: day(-10) });
    expect(conclude(examineOne(cms), { now: NOW, format: 'CMS' }).subIndication).toBe('OUT_OF_BOUNDS_NO_POE');
    const stamped = Object.assign(examineOne(cms), { proofOfExistence: day(-10) });
    expect(conclude(stamped, { now: NOW, format: 'CMS' })).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'EXPIRED' });
    // valid when signed, expired since: the signer's claimed time proves nothing (ETSI EN 319 102-1 §5.6.2.4, #11)
    const earlier = await new CmsSignatureBuilder(signer, [old, caDer]).sign({ digest, signingTime: day(-60) });
    const report = conclude(examineOne(earlier), { now: NOW, format: 'CMS', record: GOOD });
    expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
    expect(report.reasons.join()).toMatch(/expired since/);
    // a time-stamp before the expiry keeps it valid
    expect(conclude(Object.assign(examineOne(earlier), { proofOfExistence: day(-60) }), { now: NOW, format: 'CMS', record: GOOD }).indication).toBe('TOTAL_PASSED');

    const future = await leaf('Dan', '5d', day(1), day(300));
    const early = await new CmsSignatureBuilder(signer, [future, caDer]).sign({ digest, signingTime: day(-1) });
    expect(conclude(examineOne(early), { now: NOW, format: 'CMS' })).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'NOT_YET_VALID' });
  });
});

describe('PDF dates (ISO 32000-1 §7.9.4)', () => {
  it('reads the forms signing tools write', () => {
    expect(parsePdfDate("D:20261122103000+07'00'")?.toISOString()).toBe('2026-11-22T03:30:00.000Z');
    expect(parsePdfDate("D:20261122033000Z")?.toISOString()).toBe('2026-11-22T03:30:00.000Z');
    expect(parsePdfDate("D:20261122033000-03'30")?.toISOString()).toBe('2026-11-22T07:00:00.000Z');
    expect(parsePdfDate('D:2026')?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parsePdfDate('yesterday')).toBeUndefined();
  });
});

describe('revocation data carried in a signature (unsigned: anyone can put it there)', () => {
  let cert: CertificateFacts;
  let ca: CertificateFacts;
  beforeAll(async () => {
    cert = certificateFacts(await leaf('Eve', '6e'));
    ca = certificateFacts(caDer);
  });
  /** What reading one CRL or OCSP response about `cert` ends in: evidence, unusable, or the error it threw. */
  const outcome = (read: () => unknown): unknown => {
    try {
      read();
      return 'read';
    } catch (err) {
      return err instanceof UnusableRevocationData ? 'unusable' : err;
    }
  };
  const readCrl = (der: Buffer) => () => crlStatus(parseCrl(der), cert, ca, NOW);
  const readOcsp = (der: Buffer) => () => ocspStatus(der, cert, ca, NOW);

  it('finds malformed CRLs and OCSP responses unusable (empty [0] extensions or certs, unreadable PSS parameters), then uses a good one', () => {
    const bad = malformedRevocationData(caName, day(-1));
    for (const der of bad.crls) expect(outcome(readCrl(der))).toBe('unusable');
    for (const der of bad.ocspResponses) expect(outcome(readOcsp(der))).toBe('unusable');
    expect(() => parseCrl(bad.crls[0]!)).toThrow(/unreadable CRL \(expected crlExtensions\)/);
    expect(() => ocspStatus(bad.ocspResponses[0]!, cert, ca, NOW)).toThrow(/unreadable OCSP response \(expected a SEQUENCE OF Certificate\)/);
    expect(embeddedStatus(bad, cert, ca, NOW, day(-1))).toBeUndefined();

    const crl = signedCrl(ca, caKey, day(-2), day(5));
    const ocsp = signedOcspResponse(cert, ca, caKey, day(-2), day(5));
    expect(embeddedStatus({ crls: [...bad.crls, crl], ocspResponses: bad.ocspResponses }, cert, ca, NOW, day(-1))).toMatchObject({ status: 'good', thisUpdate: day(-2) });
    expect(embeddedStatus({ crls: bad.crls, ocspResponses: [...bad.ocspResponses, ocsp] }, cert, ca, NOW, day(-1))).toMatchObject({ status: 'good', nextUpdate: day(5) });
  });

  it('reads any corruption of a CRL or OCSP response as evidence or unusable, never an error', () => {
    const crl = signedCrl(ca, caKey, day(-2), day(5));
    const ocsp = signedOcspResponse(cert, ca, caKey, day(-2), day(5));
    expect(outcome(readCrl(crl))).toBe('read');
    expect(outcome(readOcsp(ocsp))).toBe('read');
    const seen = new Set<unknown>();
    for (const der of mutations(crl, 600)) seen.add(outcome(readCrl(der)));
    for (const der of mutations(ocsp, 900)) seen.add(outcome(readOcsp(der)));
    expect([...seen].filter((o) => o !== 'read' && o !== 'unusable')).toEqual([]);
    expect(seen.has('unusable')).toBe(true);
  });

  it('has no verify method for RSASSA-PSS parameters it cannot read (not a thrown DerError)', () => {
    const algorithm = (parameters: string) => ({ oid: OID.rsassaPss, parameters: readBer(Buffer.from(parameters, 'hex')) });
    expect(verifyMethod(algorithm('3002a000'))).toBeUndefined(); // hashAlgorithm [0] empty
    expect(verifyMethod(algorithm('3006a20402020100'))).toEqual({ hash: 'sha1', pss: { saltLength: 256 } }); // readable: saltLength 256
    expect(verifyMethod(algorithm('3003020100'))).toBeUndefined(); // a field that is not constructed
  });
});

describe('PDF structure (pdf-lib), bounded for crafted files', () => {
  it('compares at most the latest 16 revisions that end before the file does', async () => {
    let pdf = unsignedPdf();
    const ends: number[] = [];
    for (let i = 0; i < 20; i++) {
      pdf = addSignature(pdf, () => Buffer.from('3003020101', 'hex'));
      ends.push(pdf.length);
    }
    const structure = await analysePdf(pdf, ends);
    // The last revision is the file (none, no parse); of the 19 before it the latest 16 are compared.
    expect(structure?.modifiedAfter.get(ends[19]!)).toBe('none');
    expect(ends.slice(3, 19).map((end) => structure?.modifiedAfter.get(end))).toEqual(Array(16).fill('signatures'));
    expect(ends.slice(0, 3).map((end) => structure?.modifiedAfter.has(end))).toEqual([false, false, false]);
  });

  it('counts the DSS CRLs and OCSP responses without decoding them, and decodes certificates only up to a bound', async () => {
    const doc = await PDFDocument.create();
    doc.addPage();
    const { context } = doc;
    const stream = (bytes: Buffer | string, filter?: string) =>
      context.register(filter ? context.stream(bytes, { Filter: filter }) : context.flateStream(bytes));
    const dss = context.obj({
      // A filter pdf-lib cannot decode: reading the stream would throw, counting it does not.
      CRLs: [stream('not decoded', 'JBIG2Decode')],
      OCSPs: [stream(Buffer.alloc(2 * 1024 * 1024)), stream(Buffer.alloc(10))],
      Certs: [stream(caDer), stream(Buffer.alloc(1024 * 1024))],
    });
    doc.catalog.set(PDFName.of('DSS'), context.register(dss));
    const structure = await analysePdf(Buffer.from(await doc.save({ useObjectStreams: false })), []);
    expect(structure?.dss).toMatchObject({ crlCount: 1, ocspCount: 2 });
    // The inflated megabyte is no certificate: left out, not read whole.
    expect(structure?.dss?.certificates).toEqual([caDer]);
  });
});
