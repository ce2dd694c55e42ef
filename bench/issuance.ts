import { generateKeyPairSync } from 'node:crypto';
import { PROFILES } from '../src/certificates/profiles.js';
import { buildCertificate } from '../src/pki/certificate.js';
import { encodeCsr } from '../src/pki/csr.js';
import { EndEntityEncoder, endEntityExtensions } from '../src/pki/end-entity.js';
import { caUrls } from '../src/ca/urls.js';
import { encodeName } from '../src/pki/name.js';
import { OID } from '../src/pki/oids.js';
import { toPem } from '../src/pki/pem.js';
import { randomSerial } from '../src/pki/serial.js';
import { KeyObjectSigner } from '../src/pki/signer.js';
import { login, opensslSpeed, report, startBenchKyso, timed } from './support.js';

const BATCH = 500;
const BATCHES = Number(process.env.BENCH_ISSUANCE_BATCHES ?? 10);

/** User plus system CPU time of a `process.cpuUsage` difference, in seconds. */
export const cpuSeconds = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1e6;

/** POSTs JSON as the bench instance's admin; throws on an error status (207 is a batch result). */
export function adminPoster(bench: { kyso: { url: string }; adminToken: string }) {
  return async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${bench.kyso.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bench.adminToken}` },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300 && res.status !== 207) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

/** P-256 CSRs made ahead of time (the client's work, not kyso's). */
async function csrs(n: number): Promise<string[]> {
  const subject = encodeName([{ type: OID.commonName, value: 'bench' }]);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const signer = new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    out.push(toPem(await encodeCsr(subject, signer), 'CERTIFICATE REQUEST'));
  }
  return out;
}

/**
 * Issuance throughput through HTTP: a school's 500-row batch submitted, then approved with one
 * approve-batch call, certificates signed by the P-256 issuing CA and stored. Also the encoder alone
 * (fast path vs pkijs) to show where time goes.
 */
export async function run(): Promise<void> {
  const reference = { name: 'openssl speed ecdsap256 sign (1 core)', perSecond: opensslSpeed('ecdsap256').sign };

  const caSigner = new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const holder = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  const issuer = { subjectDer: encodeName([{ type: OID.commonName, value: 'Bench CA' }]), keyId: Buffer.alloc(20, 1), algorithm: caSigner.algorithm };
  const subjectDer = encodeName([{ type: OID.countryName, value: 'VN' }, { type: OID.commonName, value: 'Nguyễn Văn A' }]);
  const encoder = new EndEntityEncoder(PROFILES.individual!, issuer, caUrls('http://localhost:3000', 'bench'));
  const fields = () => ({ serialNumber: randomSerial(), notBefore: new Date(), notAfter: new Date(Date.now() + 9e10), subjectDer, publicKeyInfo: holder });
  const n = 20_000;
  const fast = await timed(async () => {
    for (let i = 0; i < n; i++) {
      const tbs = encoder.tbs(fields());
      encoder.certificate(tbs, caSigner.signSync(tbs));
    }
  });
  report('encode + sign, fast path (1 thread)', n / fast, reference);
  const m = 500;
  const slow = await timed(async () => {
    for (let i = 0; i < m; i++) {
      const f = fields();
      await buildCertificate(
        { serialNumber: f.serialNumber, issuer: issuer.subjectDer, subject: subjectDer, notBefore: f.notBefore, notAfter: f.notAfter, subjectPublicKeyInfo: holder, extensions: endEntityExtensions(PROFILES.individual!, issuer, caUrls('http://localhost:3000', 'bench'), f) },
        caSigner,
      );
    }
  });
  report('encode + sign, pkijs reference (1 thread)', m / slow, reference);

  const bench = await startBenchKyso();
  try {
    const api = adminPoster(bench);
    const org = await api('/api/v1/organizations', { name: 'Sở Giáo dục và Đào tạo', code: '0100000001', sector: 'education', province: 'Hà Nội' });
    // Four eyes: the admin submits, an officer approves.
    await api('/api/v1/users', { username: 'officer-bench', password: 'officer-bench-password-2026', role: 'officer', fullName: 'Trần Thị Cán Bộ' });
    const officer = adminPoster({ kyso: bench.kyso, adminToken: await login(bench.kyso.url, 'officer-bench', 'officer-bench-password-2026') });
    const pems = await csrs(BATCH * BATCHES);
    const rows = pems.map((csr, i) => ({
      kind: 'new',
      holder: 'individual',
      medium: 'token',
      organizationId: org.id,
      subject: { commonName: `Nguyễn Văn Giáo Viên ${i}`, uid: [`CCCD:${String(1e11 + i).padStart(12, '0')}`], title: 'Giáo viên' },
      csr,
    }));
    let submitSeconds = 0;
    let approveSeconds = 0;
    let issued = 0;
    const cpuBefore = process.cpuUsage();
    for (let b = 0; b < BATCHES; b++) {
      let ids: string[] = [];
      submitSeconds += await timed(async () => {
        const { results } = (await api('/api/v1/certificate-requests/batch', rows.slice(b * BATCH, (b + 1) * BATCH))) as { results: Array<{ id?: string }> };
        ids = results.map((r) => r.id!).filter(Boolean);
      });
      approveSeconds += await timed(async () => {
        const { results } = (await officer('/api/v1/certificate-requests/approve-batch', { ids })) as { results: Array<{ status: string }> };
        issued += results.filter((r) => r.status === 'issued').length;
      });
    }
    if (issued !== BATCH * BATCHES) throw new Error(`only ${issued} of ${BATCH * BATCHES} issued`);
    report(`HTTP batch submit (${BATCH} rows, CSR checked)`, issued / submitSeconds, reference);
    report('HTTP approve-batch (issued + stored)', issued / approveSeconds, reference);
    report('HTTP issuance, submit + approve, stored', issued / (submitSeconds + approveSeconds), reference);
    // The machine is shared: certificates per CPU-second of this process (client, server, PGlite
    // and the signing threads together) is the rate one idle core would give.
    report('  same, per CPU-second of this process', issued / cpuSeconds(process.cpuUsage(cpuBefore)), reference);
  } finally {
    await bench.close();
  }
}
