import { generateKeyPairSync } from 'node:crypto';
import { PROFILES } from '../src/certificates/profiles.js';
import { buildCertificate } from '../src/pki/certificate.js';
import { EndEntityEncoder } from '../src/pki/end-entity.js';
import { basicConstraintsValue, keyIdentifier, KeyUsageBit, keyUsageValue, subjectKeyIdentifierValue } from '../src/pki/extensions.js';
import { encodeName } from '../src/pki/name.js';
import { OID } from '../src/pki/oids.js';
import { toPem } from '../src/pki/pem.js';
import { randomSerial } from '../src/pki/serial.js';
import { KeyObjectSigner } from '../src/pki/signer.js';
import { adminPoster, cpuSeconds } from './issuance.js';
import { opensslSpeed, report, startBenchKyso, timed } from './support.js';

const BATCH = 500;
const TOTAL = Number(process.env.BENCH_IMPORT_TOTAL ?? 5000);

/**
 * Import throughput through HTTP: 5,000 certificates of another CA (a trust anchor, as the national
 * CA would be) imported in batches of 500, each parsed, its signature verified and stored.
 */
export async function run(): Promise<void> {
  const reference = { name: 'openssl speed ecdsap256 verify (1 core)', perSecond: opensslSpeed('ecdsap256').verify };
  const caSigner = new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const caName = encodeName([{ type: OID.countryName, value: 'VN' }, { type: OID.organizationName, value: 'Ban Cơ yếu Chính phủ' }, { type: OID.commonName, value: 'National Test CA' }]);
  const now = new Date();
  const anchor = await buildCertificate(
    {
      serialNumber: randomSerial(),
      issuer: caName,
      subject: caName,
      notBefore: new Date(now.getTime() - 10 * 365 * 864e5),
      notAfter: new Date(now.getTime() + 10 * 365 * 864e5),
      subjectPublicKeyInfo: caSigner.publicKeyInfo,
      extensions: [
        { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(true) },
        { oid: OID.keyUsage, critical: true, value: keyUsageValue([KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]) },
        { oid: OID.subjectKeyIdentifier, critical: false, value: subjectKeyIdentifierValue(keyIdentifier(caSigner.publicKeyInfo)) },
      ],
    },
    caSigner,
  );
  const encoder = new EndEntityEncoder(PROFILES.individual!, { name: 'national', subjectDer: caName, keyId: keyIdentifier(caSigner.publicKeyInfo), algorithm: caSigner.algorithm }, 'http://ca.example.gov.vn');
  const holderKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  const pems: string[] = [];
  for (let i = 0; i < TOTAL; i++) {
    const tbs = encoder.tbs({
      serialNumber: randomSerial(),
      notBefore: new Date(Date.UTC(2021, 0, 1) + i * 60_000),
      notAfter: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
      subjectDer: encodeName([{ type: OID.countryName, value: 'VN' }, { type: OID.commonName, value: `Trần Văn ${i}` }, { type: OID.userId, value: `CMND:${String(1e8 + i)}` }]),
      publicKeyInfo: holderKey,
    });
    pems.push(toPem(encoder.certificate(tbs, caSigner.signSync(tbs)), 'CERTIFICATE'));
  }

  const bench = await startBenchKyso();
  try {
    const api = adminPoster(bench);
    const org = await api('/api/v1/organizations', { name: 'Sở Tư pháp', code: '0100000002', sector: 'justice', province: 'Hà Nội' });
    await api('/api/v1/trust-anchors', { name: 'National test CA', pem: toPem(anchor, 'CERTIFICATE') });
    let imported = 0;
    const cpuBefore = process.cpuUsage();
    const seconds = await timed(async () => {
      for (let i = 0; i < TOTAL; i += BATCH) {
        const { results } = (await api(
          '/api/v1/certificates/import/batch',
          pems.slice(i, i + BATCH).map((pem) => ({ pem, holder: 'individual', medium: 'token', organizationId: org.id })),
        )) as { results: Array<{ status: string }> };
        imported += results.filter((r) => r.status === 'imported').length;
      }
    });
    if (imported !== TOTAL) throw new Error(`only ${imported} of ${TOTAL} imported`);
    report(`HTTP import/batch (${TOTAL} in batches of ${BATCH})`, imported / seconds, reference);
    report('  same, per CPU-second of this process', imported / cpuSeconds(process.cpuUsage(cpuBefore)), reference);
  } finally {
    await bench.close();
  }
}
