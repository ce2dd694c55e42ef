import { toPem } from '../src/pki/pem.js';
import { foreignCa } from '../tests/support/foreign-ca.js';
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
  const national = await foreignCa();
  const anchor = national.certificate;
  const pems = national.leaves(TOTAL).map((der) => toPem(der, 'CERTIFICATE'));

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
