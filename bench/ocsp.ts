import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Worker } from 'node:worker_threads';
import { explicit, NULL, octetString, oid, sequence, unsignedInteger } from '../src/pki/der.js';
import { encodeExtension } from '../src/pki/extensions.js';
import { issuerHashes } from '../src/pki/ocsp.js';
import { OID } from '../src/pki/oids.js';
import type { IssuedCertificate } from '../src/certificates/issuance.js';
import { serialBytes } from '../src/pki/certificate.js';
import { opensslSpeed, report, startBenchKyso } from './support.js';

const CERTIFICATES = 1000;
const REVOKED = 100;
const SECONDS = Number(process.env.BENCH_OCSP_SECONDS ?? 5);
const CONCURRENCY = 64;

/** A DER OCSPRequest for one CertID (SHA-1, as most clients send), with a 16-byte nonce at its very end when asked. */
function ocspRequest(certId: Buffer, nonce: boolean): Buffer {
  const extensions = nonce
    ? [explicit(2, sequence(encodeExtension({ oid: OID.ocspNonce, critical: false, value: octetString(randomBytes(16)) })))]
    : [];
  return sequence(sequence(sequence(sequence(certId)), ...extensions));
}

/**
 * The load client, in a worker thread so that it runs on the other core: keep-alive connections,
 * each sending its next request when the previous answer has arrived. A fresh random nonce is written
 * over the last 16 bytes of nonce requests, so every one of them needs its own signature.
 */
const CLIENT = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const { randomFillSync } = require('node:crypto');
const { port, method, nonce, seconds, concurrency } = workerData;
const requests = workerData.requests.map((b) => Buffer.from(b, 'base64'));
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const end = Date.now() + seconds * 1000;
let ok = 0, failed = 0, running = concurrency, next = 0;
function send() {
  if (Date.now() >= end) { if (--running === 0) parentPort.postMessage({ ok, failed }); return; }
  const body = requests[next++ % requests.length];
  if (nonce) randomFillSync(body, body.length - 16);
  const options = method === 'GET'
    ? { port, host: '127.0.0.1', agent, method, path: '/pki/ocsp/' + encodeURIComponent(body.toString('base64')) }
    : { port, host: '127.0.0.1', agent, method, path: '/pki/ocsp', headers: { 'content-type': 'application/ocsp-request', 'content-length': body.length } };
  const req = http.request(options, (res) => {
    let length = 0;
    res.on('data', (c) => { length += c.length; });
    res.on('end', () => { if (res.statusCode === 200 && length > 5) ok++; else failed++; send(); });
  });
  req.on('error', () => { failed++; send(); });
  req.end(method === 'GET' ? undefined : body);
}
for (let i = 0; i < concurrency; i++) send();
`;

function load(port: number, requests: Buffer[], method: 'GET' | 'POST', nonce: boolean): Promise<{ ok: number; failed: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENT, {
      eval: true,
      workerData: { port, method, nonce, seconds: SECONDS, concurrency: CONCURRENCY, requests: requests.map((r) => r.toString('base64')) },
    });
    worker.once('message', (result) => {
      void worker.terminate();
      resolve(result);
    });
    worker.once('error', reject);
  });
}

/**
 * OCSP responses per second: in-process (parse, status, build, sign) and through HTTP with 64
 * keep-alive connections from a client thread, with a nonce (every response signed) and without
 * (RFC 5019 clients: served from the response cache until a status changes).
 */
export async function run(): Promise<void> {
  const reference = { name: 'openssl speed ecdsap256 sign (1 core)', perSecond: opensslSpeed('ecdsap256').sign };
  const bench = await startBenchKyso();
  try {
    const { services } = bench.kyso;
    const organizationId = randomUUID();
    await services.knex('organizations').insert({
      id: organizationId,
      name: 'Trường THPT Đo Tốc Độ',
      code: '0199999999',
      sector: 'education',
      province: 'Hà Nội',
      created_at: new Date(),
    });
    const publicKeyInfo = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    const issued: IssuedCertificate[] = [];
    for (let i = 0; i < CERTIFICATES; i += 500) {
      const inputs = Array.from({ length: Math.min(500, CERTIFICATES - i) }, () => ({
        holder: 'individual' as const,
        medium: 'token' as const,
        organizationId,
        subject: { commonName: 'Nguyễn Văn Đo', uid: 'CCCD:001099012345' },
        publicKeyInfo,
      }));
      issued.push(...(await services.knex.transaction((trx) => services.issuance.issueManyInTransaction(trx, { principal: null, ip: null }, inputs))));
    }
    await services.knex.transaction(async (trx) => {
      for (const certificate of issued.slice(0, REVOKED)) {
        await services.certificates.changeStatusInTransaction(trx, { principal: null, ip: null }, certificate.id, { to: 'revoked', reason: 'keyCompromise' });
      }
    });
    const ca = services.authorities.issuing();
    const { nameHash, keyHash } = issuerHashes('sha1', ca.subjectDer, ca.signer.publicKeyInfo);
    const algorithm = sequence(oid(OID.sha1), NULL);
    const certIds = issued.map((c) => sequence(algorithm, octetString(nameHash), octetString(keyHash), unsignedInteger(serialBytes(c.serial))));
    const withNonce = certIds.map((id) => ocspRequest(id, true));
    const withoutNonce = certIds.map((id) => ocspRequest(id, false));

    // Warm up: every status known, as in a responder that has been running.
    for (const request of withoutNonce) await services.revocation.ocsp.respond(request);
    // In-process: 64 requests in flight, as the HTTP server would have.
    for (const [label, requests, nonce] of [
      ['in-process, nonce (signed each time)', withNonce, true],
      ['in-process, no nonce (response cache)', withoutNonce, false],
    ] as const) {
      let count = 0;
      const end = Date.now() + SECONDS * 1000;
      const start = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, lane) => {
          for (let i = lane; Date.now() < end; i += CONCURRENCY) {
            const request = requests[i % requests.length]!;
            if (nonce) randomBytes(16).copy(request, request.length - 16);
            const answer = await services.revocation.ocsp.respond(request);
            if (answer.der.length > 5) count++;
          }
        }),
      );
      report(`OCSP ${label}`, count / (Number(process.hrtime.bigint() - start) / 1e9), reference);
    }

    // The same responder behind a bare node:http server: what the HTTP transport costs without
    // Express and its middleware (request id, logging, metrics), to show where the time goes.
    const raw = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const answer = await services.revocation.ocsp.respond(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': answer.der.length });
        res.end(answer.der);
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    for (const [label, requests, nonce] of [['bare node:http POST, nonce', withNonce, true], ['bare node:http POST, no nonce', withoutNonce, false]] as const) {
      const { ok, failed } = await load((raw.address() as { port: number }).port, requests, 'POST', nonce);
      report(`OCSP ${label}${failed ? `, ${failed} failed` : ''}`, ok / SECONDS, reference);
    }
    raw.close();
    const port = Number(new URL(bench.kyso.url).port);
    for (const [label, method, requests, nonce] of [
      ['HTTP POST, nonce', 'POST', withNonce, true],
      ['HTTP POST, no nonce', 'POST', withoutNonce, false],
      ['HTTP GET, no nonce', 'GET', withoutNonce, false],
    ] as const) {
      const { ok, failed } = await load(port, requests, method, nonce);
      report(`OCSP ${label} (${CONCURRENCY} connections)${failed ? `, ${failed} failed` : ''}`, ok / SECONDS, reference);
    }
  } finally {
    await bench.close();
  }
}
