import { generateKeyPairSync } from 'node:crypto';
import { caUrls } from '../../src/ca/urls.js';
import { PROFILES } from '../../src/certificates/profiles.js';
import { buildCertificate } from '../../src/pki/certificate.js';
import { EndEntityEncoder } from '../../src/pki/end-entity.js';
import { basicConstraintsValue, keyIdentifier, KeyUsageBit, keyUsageValue, subjectKeyIdentifierValue } from '../../src/pki/extensions.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { randomSerial } from '../../src/pki/serial.js';
import { KeyObjectSigner } from '../../src/pki/signer.js';

/** A CA that is not kyso's (the national CA, in tests): its certificate and a fast leaf factory. */
export interface ForeignCa {
  /** DER of the self-signed CA certificate (register it as a trust anchor to import its leaves). */
  readonly certificate: Buffer;
  /** `count` end-entity certificates (DER) it issued, one holder key shared, distinct subjects. */
  leaves(count: number, offset?: number): Buffer[];
}

/** A P-256 CA named `commonName`, valid ten years either side of now. */
export async function foreignCa(commonName = 'National Test CA'): Promise<ForeignCa> {
  const signer = new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const name = encodeName([{ type: OID.countryName, value: 'VN' }, { type: OID.organizationName, value: 'Ban Cơ yếu Chính phủ' }, { type: OID.commonName, value: commonName }]);
  const now = Date.now();
  const certificate = await buildCertificate(
    {
      serialNumber: randomSerial(),
      issuer: name,
      subject: name,
      notBefore: new Date(now - 10 * 365 * 864e5),
      notAfter: new Date(now + 10 * 365 * 864e5),
      subjectPublicKeyInfo: signer.publicKeyInfo,
      extensions: [
        { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(true) },
        { oid: OID.keyUsage, critical: true, value: keyUsageValue([KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]) },
        { oid: OID.subjectKeyIdentifier, critical: false, value: subjectKeyIdentifierValue(keyIdentifier(signer.publicKeyInfo)) },
      ],
    },
    signer,
  );
  const encoder = new EndEntityEncoder(PROFILES.individual!, { subjectDer: name, keyId: keyIdentifier(signer.publicKeyInfo), algorithm: signer.algorithm }, caUrls('http://ca.example.gov.vn', 'national'));
  const holderKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  return {
    certificate,
    leaves(count, offset = 0) {
      const out: Buffer[] = [];
      for (let i = offset; i < offset + count; i++) {
        const tbs = encoder.tbs({
          serialNumber: randomSerial(),
          notBefore: new Date(Date.UTC(2021, 0, 1) + i * 60_000),
          notAfter: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
          subjectDer: encodeName([{ type: OID.countryName, value: 'VN' }, { type: OID.commonName, value: `Trần Văn ${i}` }, { type: OID.userId, value: `CMND:${String(1e8 + i)}` }]),
          publicKeyInfo: holderKey,
        });
        out.push(encoder.certificate(tbs, signer.signSync(tbs)));
      }
      return out;
    },
  };
}
