import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildCertificate, pkijsTemplate } from '../../src/pki/certificate.js';
import { EndEntityEncoder, endEntityExtensions, type EndEntityFields, type EndEntityIssuer } from '../../src/pki/end-entity.js';
import { caUrls } from '../../src/ca/urls.js';
import { keyIdentifier } from '../../src/pki/extensions.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { toPem } from '../../src/pki/pem.js';
import { KeyObjectSigner } from '../../src/pki/signer.js';
import { PROFILES } from '../../src/certificates/profiles.js';
import { subjectAttributes, validateSubject } from '../../src/certificates/subject.js';
import { openssl } from '../requests/support.js';

// Fixed keys: RSA PKCS#1 v1.5 signatures are deterministic, so whole certificates are golden vectors.
const CA_KEY = createPrivateKey(`-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDHtXFo91iSdoPY
ovKnwyrI3R9nH5IIyEGBn6TcY8XYMjNe8m2SZU0EFRL8Sa9V4SOf36Gcizcl9gld
KXJ4StRlxLP9J82n4ruuDnWw5BRioFtWofLGOtvAABauIK+IPE7k8cd1JBCV9Ml4
IpDJB0BwnLlnEvr1mdWM9wKfe1KdiaW66tnQxx8aPU+ToW5EtIF3qzGY4zCcbUxL
Dw2En8x64IR4nC3TcU8efSlHfVn0H5GxUB/+fFlZO1LfFD9RQtH1BTfC1MpBz724
PWI7chxD1GHxJxmd1aAmokvXkvcF8H0EhmdyBzjxUpfH8Jv7gYWVmQrhwFFGDTws
PvinF8GRAgMBAAECggEAAqBAZkKwW7aqu6fC3JFcp+j+b3bzDuIBOIDepFY8hP/9
/G7gIXdrCJV1WzNl1pGADCte3uXWuw1N6LdxjaLgQZlRS5AhLGa3FI4UnpeVLAnT
QaOeA1zFRHRL2AzOehJe8DQ8rO3lOO+P0aBUuov5nTF2X6RYf+++ptydoHa46qDd
g6URIkltg0+mz7F4sR4OGcoePDWP+x6qpH/OrnmGFeohc4I1gfFSawQfyXATS0Kr
mD7f7bkGEEJLOXwYuDCzJdo2BDE9grS/ceNH7AsRzmkFVQU0D5XEg7kvtfM7K5hX
7Adbq+KMlXHJ1e9n476l5eLyKWsLhAQxhQuUy4r25QKBgQDwZfHKd0zbHyZ50AtG
rIiWDFUjMoI1mVN/j3N+MULCOiiJMuM7B8GXtykbjKWpsfyZzvWd4BW4o4doEXlZ
I4DO7gR2lX/Mrma5SyzN2/yx8629rpL58ZFlfIFQlKih1ZPDWcpiRChTzBeu6RLV
pK4t4j9go/opHkHGs1zN3+hvzQKBgQDUq3hrjxSUHmRCdqK9cJaAvjpY3gJ0rrBp
F0TDAZu0MfMQZa8j6mjVFZ8fUBY6JcbrbqdlyzxI13ZtumxF0wbn53svtz6mZtjk
v29AucU5J23w0U9m9VKIf+KdyteU40S7Vrqfu1vlhMasDahHqxui/19LhDFFLQFw
y/VzJums1QKBgQDVvP4u0sV9qYOPGJ999db2+f4UbksBFtL7fnLkRy4g/I6f9aO9
D1db6hjdir6cU0jRBAazmNIXOSYiLC8lRwC2ez9yo9deB84Df0hVu/s/yPW3yWia
W+K3Rey/1XzdbsSTEtlzZ0AnyTVhaY86btICr79D0GeSeXloDn87+JF0HQKBgQCh
AJtu2mha5lNC2evEfUsDdoBXrOOxEFsvhFUjSMFm/vWj8UdRanIo93B61Teul9Dr
hd8nOmCOSMg4tAyqI+Ozh1SEQDcm5O/I5YDFQJ6l8UrTKLLzIEB2ZFLc4Kaq6g+r
wDITIVWmAgoiUUiX0Vtf3/N2CUL/ut2/VjmhDtGTbQKBgCRHAvTFvNpbCTT8VM5J
7LnNJlAPCs2/qo2sZZhSgkJnnB7yfb2uVmd1c56DviVpAwqVCRgjKSBEb85U+nz0
yfUmJq6aaFWFjDHXzArlttS9x7Mp/xdy+4zSO4FTTPNMLuKTJRoWGj2QZait7H8T
q8jkqQbqdIURRSPQXkzf0C6N
-----END PRIVATE KEY-----`);
const HOLDER_KEY = createPrivateKey(`-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdCQ/nD/84RgZ/b1+
CbJcjRUoRXCHV+ji3PQgm5GCCw2hRANCAAQQXSbIQ/IqJoETU79PKna8BSaZxu8l
Iuy9S8oFzCoj5JdQgpGQKOzxkdYOT9QHyUliFw/2wAVLEHxaikXbbvgf
-----END PRIVATE KEY-----`);
const PUBLIC_URL = 'https://ca.example.gov.vn';

const caSigner = new KeyObjectSigner(CA_KEY);
const caSubject = encodeName([
  { type: OID.countryName, value: 'VN' },
  { type: OID.organizationName, value: 'Kyso Test' },
  { type: OID.commonName, value: 'Kyso Test Issuing CA' },
]);
const issuer = (signer: KeyObjectSigner): EndEntityIssuer => ({
  subjectDer: caSubject,
  keyId: keyIdentifier(signer.publicKeyInfo),
  algorithm: signer.algorithm,
});
const holderSpki = createPublicKey(HOLDER_KEY).export({ type: 'spki', format: 'der' });
const subject = validateSubject('individual', {
  commonName: 'Nguyễn Thị Hương',
  uid: ['MST:0100686209-199', 'CCCD:001203004567'],
  title: 'Hiệu trưởng',
  organizationalUnit: 'Tổ Toán',
  locality: 'Quận Ba Đình',
  email: 'huong.nt@thpt.example.edu.vn',
});
const subjectDer = encodeName(subjectAttributes(subject, { name: 'Trường THPT Chu Văn An', province: 'Hà Nội' }));

function fields(overrides: Partial<EndEntityFields> = {}): EndEntityFields {
  return {
    serialNumber: Buffer.from('5f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex'),
    notBefore: new Date('2026-01-15T08:30:00Z'),
    notAfter: new Date('2029-01-15T08:30:00Z'),
    subjectDer,
    publicKeyInfo: holderSpki,
    email: subject.email,
    ...overrides,
  };
}

async function both(signer: KeyObjectSigner, f: EndEntityFields, profile = PROFILES.individual!) {
  const encoder = new EndEntityEncoder(profile, issuer(signer), caUrls(PUBLIC_URL, 'test-issuing'));
  const tbs = encoder.tbs(f);
  const fast = encoder.certificate(tbs, await signer.sign(tbs));
  const template = {
    serialNumber: f.serialNumber,
    issuer: caSubject,
    subject: f.subjectDer,
    notBefore: f.notBefore,
    notAfter: f.notAfter,
    subjectPublicKeyInfo: f.publicKeyInfo,
    extensions: endEntityExtensions(profile, issuer(signer), caUrls(PUBLIC_URL, 'test-issuing'), f),
  };
  const reference = await buildCertificate(template, signer);
  const referenceTbs = Buffer.from(pkijsTemplate(template, signer).encodeTBS().toBER());
  return { fast, tbs, reference, referenceTbs };
}

describe('EndEntityEncoder (fast path) against pkijs', () => {
  it('emits exactly the bytes of buildCertificate: golden vector', async () => {
    const { fast, reference } = await both(caSigner, fields());
    expect(fast.equals(reference)).toBe(true);
    // The profile's policy OID is 1.3.6.1.4.1.32473.1.1.1 since issue #13 item 13 (was 2.25.<UUID>).
    expect(createHash('sha256').update(fast).digest('hex')).toBe('9cc5425351a6c9fdd06ed5ceda05973c9e641e65e6744726ba2f50a8c3586684');
  });

  it.each([
    ['without e-mail', { email: undefined }],
    ['with a serial whose top bit is set', { serialNumber: Buffer.from('ff'.repeat(16), 'hex') }],
    ['with a one-byte serial', { serialNumber: Buffer.from([1]) }],
    ['past 2049 (GeneralizedTime)', { notAfter: new Date('2051-03-01T00:00:00Z') }],
  ])('matches pkijs %s', async (_name, overrides) => {
    const { fast, reference } = await both(caSigner, fields(overrides as Partial<EndEntityFields>));
    expect(fast.equals(reference)).toBe(true);
  });

  it('matches pkijs for the organization profile and an RSA holder key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
    const { fast, reference } = await both(caSigner, fields({ publicKeyInfo: rsa }), PROFILES.organization);
    expect(fast.equals(reference)).toBe(true);
  });

  it('matches the pkijs TBS under an ECDSA P-256 CA (its signatures are randomized: compare what is signed)', async () => {
    const ec = new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    const { tbs, referenceTbs } = await both(ec, fields());
    expect(tbs.equals(referenceTbs)).toBe(true);
  });

  it('is read by openssl with the profile extensions and UTF-8 names', async () => {
    const { fast } = await both(caSigner, fields());
    const text = openssl(['x509', '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus', '-in', { file: 'c.pem', content: toPem(fast, 'CERTIFICATE') }]);
    expect(text).toContain('CN=Nguyễn Thị Hương');
    expect(text).toContain('UID=CCCD:001203004567');
    expect(text).toContain('ST=Hà Nội');
    expect(text).toContain('O=Trường THPT Chu Văn An');
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(text).toMatch(/Extended Key Usage:\s+E-mail Protection, (1\.3\.6\.1\.5\.5\.7\.3\.36|Document Signing), TLS Web Client Authentication/);
    expect(text).toContain(`Policy: ${PROFILES.individual!.policyOid}`);
    expect(text).toContain(`URI:${PUBLIC_URL}/pki/crl/test-issuing.crl`);
    expect(text).toContain(`OCSP - URI:${PUBLIC_URL}/pki/ocsp`);
    expect(text).toContain(`CA Issuers - URI:${PUBLIC_URL}/pki/ca/test-issuing.crt`);
    expect(text).toContain('email:huong.nt@thpt.example.edu.vn');
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).toContain('X509v3 Authority Key Identifier');
  });
});
