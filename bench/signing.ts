import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { request } from 'node:http';
import { buildSignedDataReference, CmsSignatureBuilder } from '../src/pki/cms.js';
import { KeyObjectSigner } from '../src/pki/signer.js';
import { opensslSpeed, report, startBenchKyso, timed } from './support.js';

const HASHES_PER_CALL = 1000;
const CALLS = Number(process.env.BENCH_SIGN_HASH_CALLS ?? 20);
const PIN = '20262026';

/**
 * POSTs JSON with a bearer token on a fresh connection (no keep-alive: a long batch must not meet
 * a connection the server closed while idle); throws on an error status.
 */
export function postJson(url: string, token: string, body: unknown): Promise<Record<string, unknown>> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': payload.length, authorization: `Bearer ${token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          const status = res.statusCode ?? 0;
          if (status >= 300 && status !== 207) reject(new Error(`${url}: ${status} ${JSON.stringify(json)}`));
          else resolve(json);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * sign-hash throughput: detached CAdES-B-B signatures per second through HTTP (1,000 SHA-256
 * hashes per call, a P-256 signing account, PIN checked once per call), next to `openssl speed
 * ecdsap256` on one core. Also the CMS encoder in process, fast path vs the pkijs reference,
 * and bare node:crypto signing, to show where the time goes.
 */
export async function run(): Promise<void> {
  const reference = { name: 'openssl speed ecdsap256 sign (1 core)', perSecond: opensslSpeed('ecdsap256').sign };

  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const data = Buffer.alloc(250, 7);
  const n = 20_000;
  const bare = await timed(async () => {
    for (let i = 0; i < n; i++) sign('sha256', data, { key, dsaEncoding: 'der' });
  });
  report('node:crypto sign P-256 (1 thread)', n / bare, reference);

  const bench = await startBenchKyso();
  try {
    const { url } = bench.kyso;
    const org = await postJson(`${url}/api/v1/organizations`, bench.adminToken, { name: 'Trường THPT Chu Văn An', code: '0100000002', sector: 'education', province: 'Hà Nội' });
    const user = await postJson(`${url}/api/v1/users`, bench.adminToken, { username: 'teacher', password: 'teacher-password', role: 'signer', organizationId: org.id });
    const account = await postJson(`${url}/api/v1/signing-accounts`, bench.adminToken, {
      userId: user.id,
      organizationId: org.id,
      pin: '480264',
      commonName: 'Nguyễn Thị Giáo Viên',
      uid: 'CCCD:001099000001',
    });
    const login = await postJson(`${url}/api/v1/auth/login`, '', { username: 'teacher', password: 'teacher-password' });
    const token = login.token as string;
    // The holder replaces the officer's first PIN before signing (mustChangePin).
    await fetch(`${url}/api/v1/signing-accounts/${account.id as string}/pin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pin: '480264', newPin: PIN }),
    });

    // In process: the same account's chain, fast encoder vs pkijs reference.
    const chainRes = await fetch(`${url}/pki/ca/dev-issuing.crt`);
    const certRes = await fetch(`${url}/api/v1/certificates/${account.certificateSerial as string}/der`, { headers: { authorization: `Bearer ${bench.adminToken}` } });
    const certificates = [Buffer.from(await certRes.arrayBuffer()), Buffer.from(await chainRes.arrayBuffer())];
    const signer = new KeyObjectSigner(key);
    const digests = Array.from({ length: HASHES_PER_CALL }, (_, i) => createHash('sha256').update(String(i)).digest());
    const builder = new CmsSignatureBuilder(signer, certificates);
    await builder.signDigests(digests, new Date());
    const fast = await timed(() => builder.signDigests(digests, new Date()));
    report('CMS fast path in process (signDigests)', HASHES_PER_CALL / fast, reference);
    const m = 300;
    const slow = await timed(async () => {
      for (let i = 0; i < m; i++) await buildSignedDataReference(signer, certificates, { digest: digests[i]!, signingTime: new Date() });
    });
    report('CMS pkijs reference in process', m / slow, reference);

    const body = { pin: PIN, hashAlgorithm: 'SHA-256', hashes: digests.map((d) => d.toString('base64')) };
    const path = `${url}/api/v1/signing-accounts/${account.id as string}/sign-hash`;
    await postJson(path, token, body); // warm-up
    let count = 0;
    const cpuBefore = process.cpuUsage();
    const seconds = await timed(async () => {
      for (let i = 0; i < CALLS; i++) {
        const res = await postJson(path, token, body);
        count += (res.signatures as string[]).length;
      }
    });
    const cpu = process.cpuUsage(cpuBefore);
    report(`sign-hash via HTTP (${HASHES_PER_CALL}/call, ${CALLS} calls)`, count / seconds, reference);
    // openssl speed divides by CPU time, not wall time: this is the like-for-like figure on a busy machine
    // (CPU of this process, all threads: server, thread pool and the client's JSON work).
    report('sign-hash via HTTP, per CPU-second', count / ((cpu.user + cpu.system) / 1e6), reference);
    const concurrent = await timed(async () => {
      await Promise.all([0, 1].map(async () => {
        for (let i = 0; i < CALLS / 2; i++) await postJson(path, token, body);
      }));
    });
    report('sign-hash via HTTP, 2 clients', (CALLS * HASHES_PER_CALL) / concurrent, reference);
  } finally {
    await bench.close();
  }
}
