import { randomUUID } from 'node:crypto';
import { hashPassword } from '../src/auth/passwords.js';
import { postJson } from './signing.js';
import { report, startBenchKyso, timed } from './support.js';

/** The province's education sector: 10,373 centralized signing accounts (product.md). */
const ACCOUNTS = Number(process.env.BENCH_PROVISION_ACCOUNTS ?? 10_373);
const PER_SCHOOL = 100;
const PER_BATCH = 1000;
const TARGET_SECONDS = 120;

/**
 * Time to provision every teacher's signing account through `POST /api/v1/signing-accounts/batch`
 * (1,000 rows per call, two calls in flight): per account a P-256 key, one PIN KDF, a `remote`
 * certificate from the issuing CA, the wrapped key and the audit events. The signer users are
 * inserted directly beforehand (their creation is not what is measured). Target: < 2 minutes.
 */
export async function run(): Promise<void> {
  const bench = await startBenchKyso();
  try {
    const { url } = bench.kyso;
    const knex = bench.kyso.services.knex;
    const schools = Math.ceil(ACCOUNTS / PER_SCHOOL);
    const orgIds: string[] = [];
    for (let s = 0; s < schools; s++) {
      const org = await postJson(`${url}/api/v1/organizations`, bench.adminToken, {
        name: `Trường THCS số ${s + 1}`,
        code: `01${String(2e7 + s).padStart(8, '0')}`,
        sector: 'education',
        province: 'Hà Nội',
      });
      orgIds.push(org.id as string);
    }
    const passwordHash = await hashPassword('not-used-in-this-benchmark');
    const users = Array.from({ length: ACCOUNTS }, (_, i) => ({
      id: randomUUID(),
      username: `gv${i}`,
      password_hash: passwordHash,
      role: 'signer',
      organization_id: orgIds[Math.floor(i / PER_SCHOOL)]!,
      full_name: `Giáo viên ${i}`,
      created_at: new Date(),
    }));
    for (let i = 0; i < users.length; i += 1000) await knex('users').insert(users.slice(i, i + 1000));
    const rows = users.map((u, i) => ({
      userId: u.id,
      organizationId: u.organization_id,
      pin: String(100000 + i),
      commonName: `Nguyễn Văn Giáo Viên ${i}`,
      uid: `CCCD:${String(1e11 + i).padStart(12, '0')}`,
    }));
    const batches: Array<typeof rows> = [];
    for (let i = 0; i < rows.length; i += PER_BATCH) batches.push(rows.slice(i, i + PER_BATCH));
    let provisioned = 0;
    const cpuBefore = process.cpuUsage();
    const seconds = await timed(async () => {
      let next = 0;
      await Promise.all(
        [0, 1].map(async () => {
          while (next < batches.length) {
            const batch = batches[next++]!;
            const res = await postJson(`${url}/api/v1/signing-accounts/batch`, bench.adminToken, batch);
            provisioned += (res.results as Array<{ status: string }>).filter((r) => r.status === 'active').length;
          }
        }),
      );
    });
    const cpu = process.cpuUsage(cpuBefore);
    if (provisioned !== ACCOUNTS) throw new Error(`provisioned ${provisioned} of ${ACCOUNTS}`);
    report(`provision ${ACCOUNTS} signing accounts (accounts/s)`, ACCOUNTS / seconds);
    console.log(`${'provisioning time'.padEnd(48)} ${seconds.toFixed(1).padStart(8)} s  (target < ${TARGET_SECONDS} s: ${seconds < TARGET_SECONDS ? 'met' : 'NOT met'})`);
    // CPU time of this process (server and client, all threads): what the work costs whatever else runs.
    console.log(`${'provisioning CPU time, all threads'.padEnd(48)} ${((cpu.user + cpu.system) / 1e6).toFixed(1).padStart(8)} s`);
  } finally {
    await bench.close();
  }
}
