import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { certificateFacts } from '../../src/pki/verify/certificate-facts.js';
import { freePort } from '../support/kyso.js';
import type { Scratch } from '../support/scratch.js';
import { openssl, type TestSigner } from './fixtures.js';

/**
 * Another PKI with real revocation services on loopback: an `openssl ca` with its index, its CRL
 * served by a tiny static HTTP server, and `openssl ocsp -index` answering with a delegated
 * responder certificate. Certificates name both in their CDP and AIA.
 */
export interface OtherPki {
  readonly root: Buffer;
  readonly crlUrl: string;
  readonly ocspUrl: string;
  /** Requests the CRL server has answered, by path. */
  readonly crlHits: Map<string, number>;
  /** Issues a signer; `services` chooses which of OCSP and CRL its certificate names. The responder is restarted to read the index. */
  issue(name: string, services: { ocsp: boolean; crl: boolean }): Promise<TestSigner>;
  /** Revokes with `openssl ca -revoke` and publishes a new CRL (the OCSP responder is restarted to read the index). */
  revoke(signer: TestSigner, reason: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startOtherPki(tmp: Scratch, prefix: string): Promise<OtherPki> {
  const dir = tmp.file(prefix);
  mkdirSync(`${dir}/newcerts`, { recursive: true });
  writeFileSync(`${dir}/index.txt`, '');
  writeFileSync(`${dir}/index.txt.attr`, 'unique_subject = no\n');
  writeFileSync(`${dir}/serial`, '1000\n');
  writeFileSync(`${dir}/crlnumber`, '01\n');
  const [crlPort, ocspPort] = [await freePort(), await freePort()];
  const crlUrl = `http://127.0.0.1:${crlPort}/${prefix}.crl`;
  const ocspUrl = `http://127.0.0.1:${ocspPort}/`;
  const config = `${dir}/ca.cnf`;
  writeFileSync(
    config,
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'new_certs_dir = $dir/newcerts',
      'certificate = $dir/ca.pem',
      'private_key = $dir/ca.key',
      'serial = $dir/serial',
      'crlnumber = $dir/crlnumber',
      'default_md = sha256',
      'default_days = 365',
      'default_crl_days = 1',
      'policy = any',
      'unique_subject = no',
      'email_in_dn = no',
      '[any]',
      'countryName = optional',
      'organizationName = optional',
      'commonName = supplied',
      'userId = optional',
      '[both]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,nonRepudiation',
      'extendedKeyUsage = emailProtection',
      `crlDistributionPoints = URI:${crlUrl}`,
      `authorityInfoAccess = OCSP;URI:${ocspUrl}`,
      '[crl_only]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,nonRepudiation',
      `crlDistributionPoints = URI:${crlUrl}`,
      '[ocsp_only]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,nonRepudiation',
      `authorityInfoAccess = OCSP;URI:${ocspUrl}`,
      '[responder]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature',
      'extendedKeyUsage = OCSPSigning',
      '',
    ].join('\n'),
  );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', `${dir}/ca.key`, '-out', `${dir}/ca.pem`, '-days', '3650', '-subj', `/C=VN/O=${prefix}/CN=${prefix} CA`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const sign = (name: string, subject: string, extensions: string) => {
    openssl('req', '-new', ...ec, '-keyout', `${dir}/${name}.key`, '-out', `${dir}/${name}.csr`, '-subj', subject);
    openssl('ca', '-batch', '-config', config, '-notext', '-extensions', extensions, '-in', `${dir}/${name}.csr`, '-out', `${dir}/${name}.pem`);
  };
  const publishCrl = () => openssl('ca', '-gencrl', '-config', config, '-out', `${dir}/ca.crl.pem`) && openssl('crl', '-in', `${dir}/ca.crl.pem`, '-outform', 'DER', '-out', `${dir}/ca.crl`);
  sign('responder', `/C=VN/O=${prefix}/CN=${prefix} OCSP Responder`, 'responder');
  publishCrl();

  const crlHits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    crlHits.set(req.url ?? '', (crlHits.get(req.url ?? '') ?? 0) + 1);
    if (req.url !== `/${prefix}.crl`) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(readFileSync(`${dir}/ca.crl`));
  });
  await new Promise<void>((resolve) => server.listen(crlPort, '127.0.0.1', resolve));

  let responder: ChildProcess | undefined;
  const startResponder = async () => {
    responder = spawn('openssl', ['ocsp', '-index', `${dir}/index.txt`, '-port', String(ocspPort), '-rsigner', `${dir}/responder.pem`, '-rkey', `${dir}/responder.key`, '-CA', `${dir}/ca.pem`, '-nmin', '60', '-ignore_err'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await ready(responder);
  };
  const stopResponder = async () => {
    if (!responder || responder.exitCode !== null || responder.signalCode !== null) return;
    const exited = new Promise((resolve) => responder!.once('exit', resolve));
    responder.kill();
    await exited;
  };
  await startResponder();

  let count = 0;
  return {
    root: openssl('x509', '-in', `${dir}/ca.pem`, '-outform', 'DER'),
    crlUrl,
    ocspUrl,
    crlHits,
    async issue(name, services) {
      const file = `signer-${++count}`;
      const extensions = services.ocsp && services.crl ? 'both' : services.crl ? 'crl_only' : 'ocsp_only';
      sign(file, `/C=VN/O=${prefix}/CN=${name}/UID=CCCD:0790${String(count).padStart(8, '0')}`, extensions);
      const certDer = openssl('x509', '-in', `${dir}/${file}.pem`, '-outform', 'DER');
      await stopResponder();
      await startResponder();
      return { keyFile: `${dir}/${file}.key`, certFile: `${dir}/${file}.pem`, certDer, serial: certificateFacts(certDer).serial };
    },
    async revoke(signer, reason) {
      openssl('ca', '-config', config, '-revoke', signer.certFile, '-crl_reason', reason);
      publishCrl();
      await stopResponder();
      await startResponder();
    },
    async stop() {
      await stopResponder();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Waits for `openssl ocsp` to say it listens. (Probing the port instead would hang it: the
 * responder serves one connection at a time and waits on an empty one.)
 */
function ready(responder: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    responder.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('waiting for OCSP client connections')) resolve();
    });
    responder.once('exit', (code) => reject(new Error(`openssl ocsp exited (${code}): ${seen}`)));
  });
}
