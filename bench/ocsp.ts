import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createApp } from '../src/app.js';
import { serialBytes } from '../src/pki/certificate.js';
import { explicit, NULL, octetString, oid, sequence, unsignedInteger } from '../src/pki/der.js';
import { encodeExtension } from '../src/pki/extensions.js';
import { issuerHashes } from '../src/pki/ocsp.js';
import { OID } from '../src/pki/oids.js';
import { toPem } from '../src/pki/pem.js';
import { routeModules } from '../src/routes.js';
import type { IssuedCertificate } from '../src/certificates/issuance.js';
import { issueCertificates } from '../tests/revocation/fixture.js';
import { opensslSpeed, report, startBenchKyso } from './support.js';

const exec = promisify(execFile);

const CERTIFICATES = 1000;
const REVOKED = 100;
const SECONDS = Number(process.env.BENCH_OCSP_SECONDS ?? 5);
const CONNECTIONS = 64;
const TARGET = 10_000;

/** A DER OCSPRequest for one CertID (SHA-1, as most clients send), with a 16-byte nonce at its very end when asked. */
function ocspRequest(certId: Buffer, nonce: boolean): Buffer {
  const extensions = nonce
    ? [explicit(2, sequence(encodeExtension({ oid: OID.ocspNonce, critical: false, value: octetString(randomBytes(16)) })))]
    : [];
  return sequence(sequence(sequence(sequence(certId)), ...extensions));
}

/**
 * wrk's script: GET over a list of paths, or POST of a list of request bodies whose last 16 bytes
 * (the nonce) are replaced by random bytes for every request, so each needs its own signature.
 */
const WRK_SCRIPT = `
local items = {}
local mode, postPath
local n = 0
init = function(args)
  mode = args[1]
  postPath = args[3]
  for line in io.lines(args[2]) do
    if mode == "get" then table.insert(items, line)
    else table.insert(items, (line:gsub("..", function(cc) return string.char(tonumber(cc, 16)) end))) end
  end
  math.randomseed(os.time())
end
request = function()
  n = n + 1
  local item = items[(n % #items) + 1]
  if mode == "get" then return wrk.format("GET", item) end
  local nonce = {}
  for i = 1, 16 do nonce[i] = string.char(math.random(0, 255)) end
  return wrk.format("POST", postPath, { ["Content-Type"] = "application/ocsp-request" }, item:sub(1, -17) .. table.concat(nonce))
end
`;

/** CPU seconds (user + system) of processes, read from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // gone meanwhile
    }
  }
  return ticks / 100;
}

/**
 * Runs wrk (1 thread, CONNECTIONS keep-alive connections) against `url` for SECONDS and reports
 * the rate with the CPU that kyso (this process), PostgreSQL (the bench database's backends) and
 * the server under test used meanwhile, as a share of one core.
 */
async function wrk(
  label: string,
  url: string,
  mode: 'get' | 'post',
  itemsFile: string,
  scriptFile: string,
  cpu: { kyso?: boolean; postgres?: () => Promise<number[]>; server?: () => number[] },
  reference?: { name: string; perSecond: number },
): Promise<number> {
  const pgPids = cpu.postgres ? await cpu.postgres() : [];
  const serverPids = cpu.server?.() ?? [];
  const before = { self: process.cpuUsage(), pg: cpuSeconds(pgPids), server: cpuSeconds(serverPids), at: process.hrtime.bigint() };
  const postPath = new URL(url).pathname;
  const { stdout } = await exec('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '-s', scriptFile, url, '--', mode, itemsFile, postPath], { maxBuffer: 1 << 20 });
  const wall = Number(process.hrtime.bigint() - before.at) / 1e9;
  const self = process.cpuUsage(before.self);
  const rate = Number(/Requests\/sec:\s*([\d.]+)/.exec(stdout)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  const bad = Number(/Non-2xx or 3xx responses:\s*(\d+)/.exec(stdout)?.[1] ?? 0);
  const errors = /Socket errors: (.*)/.exec(stdout)?.[1];
  const share = (seconds: number) => `${Math.round((seconds / wall) * 100)}%`;
  const parts = [
    // CPU per request does not depend on what else the machine runs: 1e6 / it is the rate one free core would give.
    cpu.kyso ? `kyso CPU ${share((self.user + self.system) / 1e6)} = ${Math.round((self.user + self.system) / Math.max(1, requests))} µs/request` : undefined,
    cpu.postgres ? `PostgreSQL CPU ${share(cpuSeconds(pgPids) - before.pg)}` : undefined,
    cpu.server ? `server CPU ${share(cpuSeconds(serverPids) - before.server)} = ${Math.round(((cpuSeconds(serverPids) - before.server) * 1e6) / Math.max(1, requests))} µs/request` : undefined,
    bad ? `${bad} non-2xx` : undefined,
    errors ? `socket errors ${errors}` : undefined,
  ].filter(Boolean);
  report(`${label}`, rate, reference);
  console.log(`${''.padEnd(50)}${parts.join(', ')}`);
  return rate;
}

/**
 * OCSP responses per second over HTTP, measured with wrk beside `openssl ocsp -port` serving the
 * same CA, certificates and statuses in the same run: GET without nonce (RFC 5019 clients, CDNs:
 * pre-produced answers on the lean node:http path), POST with a fresh nonce (signed each time),
 * and the same GET through the Express stack, to show what the lean path saves. (openssl ocsp is
 * compared on GET only: it never read wrk's POSTs, while curl's work.) Each line also gives the
 * CPU time per request, which does not depend on what else the machine runs.
 */
export async function run(): Promise<void> {
  const bench = await startBenchKyso();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-bench-ocsp-'));
  const children: Array<{ kill(): void }> = [];
  const servers: Server[] = [];
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
      issued.push(...(await issueCertificates(services, inputs)));
    }
    const revokedAt = new Date();
    await services.knex.transaction(async (trx) => {
      for (const certificate of issued.slice(0, REVOKED)) {
        await services.certificates.changeStatusInTransaction(trx, { principal: null, ip: null }, certificate.id, { to: 'revoked', reason: 'keyCompromise' });
      }
    });
    const ca = services.authorities.issuing();
    const { nameHash, keyHash } = issuerHashes('sha1', ca.subjectDer, ca.signer.publicKeyInfo);
    const algorithm = sequence(oid(OID.sha1), NULL);
    const certIds = issued.map((c) => sequence(algorithm, octetString(nameHash), octetString(keyHash), unsignedInteger(serialBytes(c.serial))));
    const getPaths = path.join(dir, 'get.txt');
    writeFileSync(getPaths, certIds.map((id) => `/pki/ocsp/${encodeURIComponent(ocspRequest(id, false).toString('base64'))}`).join('\n'));
    // openssl ocsp takes the request right after the first '/'.
    const opensslGetPaths = path.join(dir, 'get-openssl.txt');
    writeFileSync(opensslGetPaths, certIds.map((id) => `/${encodeURIComponent(ocspRequest(id, false).toString('base64'))}`).join('\n'));
    const postBodies = path.join(dir, 'post.txt');
    writeFileSync(postBodies, certIds.map((id) => ocspRequest(id, true).toString('hex')).join('\n'));
    const script = path.join(dir, 'ocsp.lua');
    writeFileSync(script, WRK_SCRIPT);

    // openssl ocsp serving the same CA: an index of the same serials and statuses, a P-256
    // responder key (the same signature cost as kyso's delegated responder), two processes.
    const caPem = path.join(dir, 'ca.pem');
    writeFileSync(caPem, toPem(ca.certificateDer, 'CERTIFICATE'));
    const rkey = path.join(dir, 'responder.key');
    const rcert = path.join(dir, 'responder.pem');
    await exec('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', rkey, '-subj', '/CN=openssl ocsp responder', '-days', '2', '-out', rcert]);
    const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
    const expiry = stamp(new Date(Date.now() + 365 * 86400_000));
    const index = path.join(dir, 'index.txt');
    writeFileSync(
      index,
      issued
        .map((c, i) => {
          const serial = (c.serial.length % 2 ? `0${c.serial}` : c.serial).toUpperCase();
          return i < REVOKED ? `R\t${expiry}\t${stamp(revokedAt)},keyCompromise\t${serial}\tunknown\t/CN=${serial}\n` : `V\t${expiry}\t\t${serial}\tunknown\t/CN=${serial}\n`;
        })
        .join(''),
    );
    const opensslPort = 20000 + Math.floor(Math.random() * 20000);
    const responder = spawn('openssl', ['ocsp', '-port', String(opensslPort), '-index', index, '-CA', caPem, '-rsigner', rcert, '-rkey', rkey, '-multi', '2', '-nmin', '60'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let responderErrors = '';
    responder.stderr!.on('data', (c: Buffer) => (responderErrors += c.toString()));
    responder.once('exit', (code) => {
      if (code) console.error(`openssl ocsp exited (${code}): ${responderErrors}`);
    });
    children.push(responder);
    await new Promise((r) => setTimeout(r, 500));
    // The parent and the children it forked (-multi).
    const opensslPids = () => [
      responder.pid!,
      ...readFileSync(`/proc/${responder.pid}/task/${responder.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    ];

    const postgres = async () => {
      if (services.knex.client.config.client !== 'pg') return [];
      const rows = await services.knex.raw('select pid from pg_stat_activity where datname = current_database()');
      return (rows.rows as Array<{ pid: number }>).map((r) => r.pid);
    };
    // Warm up: every answer produced once, as in a responder that has been running.
    for (const id of certIds) await services.revocation.ocsp.respond(ocspRequest(id, false));

    const kysoUrl = bench.kyso.url;
    const openSslUrl = `http://127.0.0.1:${opensslPort}`;
    const speed = { name: 'openssl speed ecdsap256 sign (1 core)', perSecond: opensslSpeed('ecdsap256').sign };
    console.log(`target: ${TARGET}/s over HTTP (issue #12); ${CERTIFICATES} certificates, ${REVOKED} revoked; wrk -t1 -c${CONNECTIONS} -d${SECONDS}s`);
    const opensslGet = await wrk('openssl ocsp -multi 2: GET, no nonce', openSslUrl, 'get', opensslGetPaths, script, { server: opensslPids });
    const reference = { name: 'openssl ocsp GET', perSecond: opensslGet };
    await wrk('kyso GET, no nonce (pre-produced, lean path)', kysoUrl, 'get', getPaths, script, { kyso: true, postgres }, reference);
    await wrk('kyso POST, nonce (signed each time)', `${kysoUrl}/pki/ocsp`, 'post', postBodies, script, { kyso: true, postgres }, reference);

    // The same GET through Express (request id, pino-http, metrics, router): what the lean path saves.
    const express = createServer(createApp(services, routeModules));
    servers.push(express);
    await new Promise<void>((r) => express.listen(0, '127.0.0.1', r));
    await wrk('kyso GET through Express (for comparison)', `http://127.0.0.1:${(express.address() as { port: number }).port}`, 'get', getPaths, script, { kyso: true, postgres }, reference);
    report('openssl speed ecdsap256 sign (1 core)', speed.perSecond);
  } finally {
    for (const child of children) child.kill();
    for (const server of servers) server.close();
    await bench.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
