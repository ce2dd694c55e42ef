import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { CmsSignatureBuilder } from '../src/pki/cms.js';
import { KeyObjectSigner } from '../src/pki/signer.js';
import { conclude } from '../src/pki/verify/conclude.js';
import { examineCms } from '../src/pki/verify/document.js';
import { certificateFacts } from '../src/pki/verify/certificate-facts.js';
import { issueCertificates } from '../tests/revocation/fixture.js';
import { opensslSpeed, report, startBenchKyso, timed } from './support.js';

const DISTINCT_SIGNERS = Number(process.env.BENCH_VERIFY_SIGNERS ?? 2000);
const SECONDS = 3;
const CONCURRENCY = 8;
const ACTIVE = { status: 'active' } as const;
const DOCUMENT = Buffer.from('Học bạ số — lớp 12A1, năm học 2025-2026 — '.repeat(50), 'utf8');

/**
 * CMS verification throughput (issue 4 target: ≥ 2,000/s): detached CAdES-B-B P-256 signatures
 * chaining to the built-in CA, (1) the pure verifier with a signer seen before, (2) with a new
 * signer certificate every time (parse + chain signatures not yet cached), (3) the service with its
 * database look-ups, for a known and for a new signer, (4) through HTTP with 8 requests in flight
 * (the fetch client runs in the same process and takes its share of the core). Reference: openssl speed ecdsap256
 * verify on one core — one CMS verification costs at least one ECDSA verify plus the digest.
 */
export async function run(): Promise<void> {
  const reference = { name: 'openssl speed ecdsap256 verify (1 core)', perSecond: opensslSpeed('ecdsap256').verify };
  const bench = await startBenchKyso();
  try {
    const { authorities, verification } = bench.kyso.services;
    const issuing = authorities.issuing();
    const chain = authorities.chain(issuing).map((a) => a.certificateDer);
    // The signers' certificates are issued and stored by kyso (so the service finds their status
    // record, as it does for every certificate it issued), each for its own key.
    const organizationId = randomUUID();
    await bench.kyso.services
      .knex('organizations')
      .insert({ id: organizationId, name: 'Trường THPT Đo Tốc Độ', code: '0199999998', sector: 'education', province: 'Hà Nội', created_at: new Date() });
    const digest = createHash('sha256').update(DOCUMENT).digest();
    const signers = Array.from({ length: DISTINCT_SIGNERS }, () => new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey));
    const leaves: Buffer[] = [];
    for (let i = 0; i < DISTINCT_SIGNERS; i += 500) {
      const inputs = signers.slice(i, i + 500).map((signer, j) => ({
        holder: 'individual' as const,
        medium: 'token' as const,
        organizationId,
        subject: { commonName: `Giáo viên ${i + j}`, uid: `CCCD:${String(1e11 + i + j)}` },
        publicKeyInfo: signer.publicKeyInfo,
      }));
      leaves.push(...(await issueCertificates(bench.kyso.services, inputs)).map((c) => c.der));
    }
    const now = new Date(); // after the certificates' notBefore
    const signatures: Buffer[] = [];
    for (const [i, signer] of signers.entries()) {
      signatures.push(await new CmsSignatureBuilder(signer, [leaves[i]!, ...chain]).sign({ digest, signingTime: now }));
    }
    const context = {
      trusted: chain.map((der) => certificateFacts(der)),
      known: [],
      now,
    };
    const verifyPure = (signature: Buffer) => {
      const examined = examineCms(signature, DOCUMENT, context);
      // Its status as kyso's own record gives it (the service reads that record once per new signer).
      const reports = examined.signatures.map(({ format, exam }) => conclude(exam, { now, format, record: ACTIVE, source: 'kyso' }));
      if (reports[0]?.indication !== 'TOTAL_PASSED') throw new Error(`unexpected ${JSON.stringify(reports[0])}`);
    };

    // (2) first: every certificate is new to the verifier's caches (half kept new for the service)
    const fresh = signatures.splice(signatures.length / 2);
    const cold = await timed(async () => signatures.forEach(verifyPure));
    // (1) one signer, over and over
    let hot = 0;
    const hotSeconds = await timed(async () => {
      const end = Date.now() + SECONDS * 1000;
      while (Date.now() < end) for (let i = 0; i < 100; i++, hot++) verifyPure(signatures[0]!);
    });
    report('pure verifier, signer seen before', hot / hotSeconds, reference);
    report(`pure verifier, ${signatures.length} new signers`, signatures.length / cold, reference);

    // (3) the service: one coalesced version query per call; kyso's status record read once per new signer
    for (const [label, pick] of [
      ['service, signer seen before', () => signatures[0]!],
      ['service, a new signer every call (status query)', (i: number) => fresh[i % fresh.length]!],
    ] as const) {
      let served = 0;
      const seconds = await timed(async () => {
        const end = Date.now() + SECONDS * 1000;
        while (Date.now() < end) {
          const result = await verification.verify({ document: DOCUMENT, signature: pick(served++) });
          if (result.indication !== 'TOTAL_PASSED') throw new Error(`unexpected ${result.indication}`);
        }
      });
      report(label, served / seconds, reference);
    }

    // (4) HTTP, JSON with base64, several requests in flight, beside GET /healthz from the same
    // client: the app's own per-request cost, the ceiling for any endpoint on this machine now
    const body = JSON.stringify({ document: DOCUMENT.toString('base64'), signature: signatures[0]!.toString('base64') });
    const ceiling = await httpRate(`${bench.kyso.url}/healthz`, {}, () => undefined);
    const verified = await httpRate(`${bench.kyso.url}/api/v1/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }, (verdict) => {
      if ((verdict as { indication?: string }).indication !== 'TOTAL_PASSED') throw new Error(`unexpected ${JSON.stringify(verdict)}`);
    });
    report(`HTTP POST /api/v1/verify, ${CONCURRENCY} in flight, signer seen before`, verified.rate, { name: 'GET /healthz, same client', perSecond: ceiling.rate });
    if (verified.failures) console.log(`  (${verified.failures} requests failed at the connection level)`);
  } finally {
    await bench.close();
  }
}

/** Requests per second to `url` with CONCURRENCY in flight for SECONDS; `check` sees each JSON body. */
async function httpRate(url: string, init: RequestInit, check: (body: unknown) => void): Promise<{ rate: number; failures: number }> {
  let done = 0;
  let failures = 0;
  const seconds = await timed(async () => {
    const end = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < end) {
          let body: unknown;
          try {
            body = await (await fetch(url, init)).json();
          } catch {
            // a connection reset on this crowded machine is counted and shown, not fatal to the run
            failures++;
            continue;
          }
          check(body);
          done++;
        }
      }),
    );
  });
  return { rate: done / seconds, failures };
}
