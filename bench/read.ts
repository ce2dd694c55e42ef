import { X509Certificate } from 'node:crypto';
import { foreignCa } from '../tests/support/foreign-ca.js';
import { certificateFacts } from '../src/pki/verify/certificate-facts.js';
import { readCertificate } from '../src/pki/x509-reader.js';
import { cpuSeconds } from './issuance.js';
import { report } from './support.js';

const DISTINCT = Number(process.env.BENCH_READ_CERTIFICATES ?? 4000);
const SECONDS = 2;

/** CPU seconds `fn` takes on this thread (the machine is shared: wall time overstates). */
function cpuTimed(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  return cpuSeconds(process.cpuUsage(before));
}

/** Runs `read` over `ders` again and again for about SECONDS of CPU time; returns reads per CPU-second. */
function rate(ders: Buffer[], read: (der: Buffer) => unknown): number {
  let reads = 0;
  let seconds = 0;
  while (seconds < SECONDS) {
    seconds += cpuTimed(() => ders.forEach(read));
    reads += ders.length;
  }
  return reads / seconds;
}

/**
 * Certificate reading, the step before every import, chain check and OCSP lookup: kyso's reader
 * (src/pki/x509-reader.ts) over P-256 end-entity certificates of another CA, and the verifier's
 * cached facts for certificates it has not seen (each read once). Reference: node:crypto's native
 * X509Certificate parser on the same certificates, in the same run; rates per CPU-second.
 */
export async function run(): Promise<void> {
  const ders = (await foreignCa()).leaves(DISTINCT);
  const reference = { name: 'node:crypto X509Certificate', perSecond: rate(ders, (der) => new X509Certificate(der)) };
  report('readCertificate', rate(ders, readCertificate), reference);
  report(`certificateFacts, ${DISTINCT} new certificates`, DISTINCT / cpuTimed(() => ders.forEach((der) => certificateFacts(der))), reference);
}
