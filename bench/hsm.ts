import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { KeyVault } from '../src/keys/vault.js';
import { NULL, octetString, oid, randomBytesDer, sequence, unsignedInteger } from './der-helpers.js';
import { issuerHashes } from '../src/pki/ocsp.js';
import { OID } from '../src/pki/oids.js';
import { serialBytes } from '../src/pki/certificate.js';
import { toPem } from '../src/pki/pem.js';
import { secureRandom } from '../src/pki/serial.js';
import { foreignCa } from '../tests/support/foreign-ca.js';
import { softHsmInstalled, softHsmToken } from '../tests/support/softhsm.js';
import { issueCertificates } from '../tests/revocation/fixture.js';
import { opensslSpeed, report, startBenchKyso, timed } from './support.js';
import { adminPoster } from './issuance.js';

const run$ = promisify(execFile);
const SIGNS = 3000;
const CERTIFICATES = 2000;
const OCSP = 2000;
const IMPORT_FILES = Number(process.env.BENCH_IMPORT_FILES ?? 10_000);
/** Requests in flight at once, as a server answering many clients sees them. */
const IN_FLIGHT = 16;

/** Runs `count` calls of `one`, `inFlight` at a time. */
async function concurrently(count: number, inFlight: number, one: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < count) await one(next++);
  }));
}

/**
 * The CA key in SoftHSM beside the soft key, in one run: raw signatures, issuance (in-process,
 * batches of 500) and OCSP answers each signed anew (nonce), then `kyso import` of 10,000 files
 * through the real CLI binary.
 */
export async function run(): Promise<void> {
  const reference = { name: 'openssl speed ecdsap256 sign (1 core)', perSecond: opensslSpeed('ecdsap256').sign };
  if (!softHsmInstalled) throw new Error('SoftHSM 2 is not installed (apt-get install softhsm2)');
  const token = softHsmToken();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'kyso-bench-hsm-'));
  try {
    for (const where of ['soft', 'SoftHSM'] as const) {
      const vault = KeyVault.open({ masterKey: Buffer.alloc(32, 3), dataDir: scratch, random: secureRandom, ...(where === 'SoftHSM' ? { pkcs11: token } : {}) });
      const key = await vault.generateServiceKey('P-256');
      const data = Buffer.alloc(300, 7);
      const seconds = await timed(async () => {
        for (let i = 0; i < SIGNS; i++) await key.signer.sign(data);
      });
      report(`CA key ${where}: one P-256 signature at a time (Signer.sign)`, SIGNS / seconds, reference);
      const together = await timed(() => concurrently(SIGNS, IN_FLIGHT, () => key.signer.sign(data)));
      report(`CA key ${where}: P-256 signatures, ${IN_FLIGHT} in flight`, SIGNS / together, reference);
      vault.close();
    }
    for (const where of ['soft', 'SoftHSM'] as const) await issuanceAndOcsp(where, where === 'SoftHSM' ? token.env : {}, reference);
    await cliImport(scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function issuanceAndOcsp(where: string, env: Record<string, string>, reference: { name: string; perSecond: number }): Promise<void> {
  const bench = await startBenchKyso(env);
  try {
    const { services } = bench.kyso;
    const organizationId = randomUUID();
    await services.knex('organizations').insert({ id: organizationId, name: 'Trường THPT Đo Tốc Độ', code: '0199999998', sector: 'education', province: 'Hà Nội', created_at: new Date() });
    const publicKeyInfo = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    const issued: Array<{ serial: string }> = [];
    const seconds = await timed(async () => {
      for (let i = 0; i < CERTIFICATES; i += 500) {
        const inputs = Array.from({ length: 500 }, () => ({ holder: 'individual' as const, medium: 'token' as const, organizationId, subject: { commonName: 'Nguyễn Văn Đo', uid: 'CCCD:001099012345' }, publicKeyInfo }));
        issued.push(...(await issueCertificates(services, inputs)));
      }
    });
    report(`issuance, CA key ${where} (in-process, batches of 500, stored)`, CERTIFICATES / seconds, reference);
    const ca = services.authorities.issuing();
    const { nameHash, keyHash } = issuerHashes('sha1', ca.subjectDer, ca.signer.publicKeyInfo);
    const requests = issued.slice(0, OCSP).map((c) =>
      sequence(
        sequence(
          sequence(sequence(sequence(sequence(oid(OID.sha1), NULL), octetString(nameHash), octetString(keyHash), unsignedInteger(serialBytes(c.serial))))),
          randomBytesDer(),
        ),
      ),
    );
    const ocspSeconds = await timed(async () => {
      for (const request of requests) await services.revocation.ocsp.respond(request);
    });
    report(`OCSP with nonce (each signed), responder key ${where} (in-process, one at a time)`, requests.length / ocspSeconds, reference);
    const inFlightSeconds = await timed(() => concurrently(requests.length, IN_FLIGHT, (i) => services.revocation.ocsp.respond(requests[i]!)));
    report(`OCSP with nonce (each signed), responder key ${where} (in-process, ${IN_FLIGHT} in flight)`, requests.length / inFlightSeconds, reference);
  } finally {
    await bench.close();
  }
}

async function cliImport(scratch: string): Promise<void> {
  const national = await foreignCa();
  const folder = path.join(scratch, 'import');
  mkdirSync(folder);
  national.leaves(IMPORT_FILES).forEach((der, i) => writeFileSync(path.join(folder, `c${i}.pem`), toPem(der, 'CERTIFICATE')));
  const bench = await startBenchKyso();
  const config = bench.kyso.services.config;
  try {
    const api = adminPoster(bench);
    await api('/api/v1/organizations', { name: 'Sở Tư pháp', code: '0100000003', sector: 'justice', province: 'Hà Nội' });
    await api('/api/v1/trust-anchors', { name: 'National test CA', pem: toPem(national.certificate, 'CERTIFICATE') });
    // The embedded database belongs to one process: the server stops before the CLI runs there.
    if (!config.databaseUrl) await bench.kyso.close();
    const env = { ...process.env, KYSO_DATA_DIR: config.dataDir, KYSO_CERTS_DEV_DIR: config.certsDevDir, LOG_LEVEL: 'silent', ...(config.databaseUrl ? { DATABASE_URL: config.databaseUrl } : {}) };
    const bin = path.resolve(import.meta.dirname, '../bin/kyso.mjs');
    const args = [bin, 'import', folder, '--holder', 'individual', '--medium', 'token', '--organization', '0100000003', '--report', path.join(scratch, 'report.csv')];
    let out = '';
    const seconds = await timed(async () => {
      out = (await run$(process.execPath, args, { env, maxBuffer: 16 << 20 })).stdout;
    });
    if (!out.includes(`${IMPORT_FILES} imported`)) throw new Error(`kyso import: ${out}`);
    report(`kyso import (CLI binary, ${IMPORT_FILES} PEM files, start-up included)`, IMPORT_FILES / seconds, { name: 'openssl speed ecdsap256 verify (1 core)', perSecond: opensslSpeed('ecdsap256').verify });
  } finally {
    await bench.close();
  }
}
