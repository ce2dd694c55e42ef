import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { certificateFacts } from '../../src/pki/verify/certificate-facts.js';
import { hostAllowed, RevocationFetcher } from '../../src/verification/revocation-fetcher.js';
import { freePort, startTestKyso, type TestKyso } from '../support/kyso.js';
import { scratch, type Scratch } from '../support/scratch.js';
import { insertTrustAnchor, opensslSign, verifyJson } from './fixtures.js';
import { startOtherPki, type OtherPki } from './other-pki.js';
import { malformedRevocationData } from './revocation-fixtures.js';

// Issue #13 item 11: a certificate under an imported trust anchor verified TOTAL_PASSED with
// certificateStatus unknown. kyso now asks the other PKI's own OCSP responder and CRL, here a real
// `openssl ocsp -index` responder and a static CRL server on loopback.
const DOCUMENT = Buffer.from('Công văn số 12/UBND-VP — gửi các trường THPT\n', 'utf8');

let t: TestKyso;
let tmp: Scratch;
let pki: OtherPki;

beforeAll(async () => {
  t = await startTestKyso({ env: { KYSO_FETCH_ALLOW: '127.0.0.1,*.gov.vn', KYSO_FETCH_TIMEOUT_MS: '3000' } });
  tmp = scratch();
  pki = await startOtherPki(tmp, 'ProvinceCA');
  await insertTrustAnchor(t, 'province-ca', pki.root);
});
afterAll(async () => {
  await pki?.stop();
  tmp?.remove();
  await t?.close();
});

const verify = async (signer: Awaited<ReturnType<OtherPki['issue']>>) => {
  const res = await verifyJson(t, { document: DOCUMENT, signature: opensslSign(tmp, signer, DOCUMENT) });
  expect(res.status).toBe(200);
  return res.body;
};

describe('revocation of other PKIs’ certificates, from their own services', () => {
  it('passes a good certificate on the OCSP responder’s word, and follows a revocation there', async () => {
    const signer = await pki.issue('Võ Thị Sáu', { ocsp: true, crl: true });
    const good = await verify(signer);
    expect(good).toMatchObject({ indication: 'TOTAL_PASSED' });
    expect(good.signatures[0]).toMatchObject({ certificateStatus: 'good', revocationSource: 'ocsp' });

    // Answers are cached until their nextUpdate (an hour here): revoke a certificate not asked about yet.
    const again = await pki.issue('Võ Thị Sáu 2', { ocsp: true, crl: false });
    await pki.revoke(again, 'keyCompromise');
    const revoked = await verify(again);
    expect(revoked).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
    expect(revoked.signatures[0]).toMatchObject({ certificateStatus: 'revoked', revocationSource: 'ocsp', revocationReason: 'keyCompromise' });
  });

  it('reads the CRL when the certificate names no responder, cached until nextUpdate', async () => {
    const signer = await pki.issue('Lý Thường Kiệt', { ocsp: false, crl: true });
    const path = new URL(pki.crlUrl).pathname;
    const good = await verify(signer);
    expect(good).toMatchObject({ indication: 'TOTAL_PASSED' });
    expect(good.signatures[0]).toMatchObject({ certificateStatus: 'good', revocationSource: 'crl' });
    const fetches = pki.crlHits.get(path);
    expect(fetches).toBeGreaterThan(0);
    await verify(signer);
    expect(pki.crlHits.get(path)).toBe(fetches);

    const revokedSigner = await pki.issue('Trần Hưng Đạo', { ocsp: false, crl: true });
    await pki.revoke(revokedSigner, 'superseded');
    // The cached CRL predates this revocation; a verifier that cached it until nextUpdate would say
    // good — so this check uses a fetcher with an empty cache, as a restarted kyso would.
    const fetcher = new RevocationFetcher({ allow: ['127.0.0.1'], timeoutMs: 3000 }, systemClock, createLogger('silent'));
    const fetched = await fetcher.status(certificateFacts(revokedSigner.certDer), certificateFacts(pki.root));
    expect(fetched).toMatchObject({ source: 'crl', evidence: { status: 'revoked', reason: 'superseded' } });
  });

  it('is INDETERMINATE/TRY_LATER with revocationSource none when no service answers, saying why', async () => {
    const signer = await pki.issue('Ngô Quyền', { ocsp: true, crl: false });
    await pki.stop();
    try {
      const res = await verify(signer);
      expect(res).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
      expect(res.signatures[0]).toMatchObject({ certificateStatus: 'unknown', revocationSource: 'none' });
      expect(res.signatures[0].reasons[0]).toMatch(/OCSP http:\/\/127\.0\.0\.1:\d+\/: unreachable/);
    } finally {
      pki = await startOtherPki(tmp, 'ProvinceCA2');
      await insertTrustAnchor(t, 'province-ca-2', pki.root);
    }
  });
});

describe('the fetcher’s limits', () => {
  const logger = createLogger('silent');
  const pkiCerts = async () => {
    const signer = await pki.issue('Phan Bội Châu', { ocsp: true, crl: true });
    return [certificateFacts(signer.certDer), certificateFacts(pki.root)] as const;
  };

  it('fetches only from hosts KYSO_FETCH_ALLOW names', async () => {
    expect(hostAllowed('ca.gov.vn', ['*.gov.vn'])).toBe(true);
    expect(hostAllowed('CA.Gov.VN', ['*.gov.vn'])).toBe(true);
    expect(hostAllowed('gov.vn.evil.example', ['*.gov.vn'])).toBe(false);
    expect(hostAllowed('127.0.0.1', ['127.0.0.1'])).toBe(true);
    expect(hostAllowed('10.0.0.1', ['127.0.0.1'])).toBe(false);
    expect(hostAllowed('anything', undefined)).toBe(true);
    const fetcher = new RevocationFetcher({ allow: ['*.gov.vn'], timeoutMs: 3000 }, systemClock, logger);
    const result = await fetcher.status(...(await pkiCerts()));
    expect(result.source).toBe('none');
    expect(result.source === 'none' && result.problems.join('\n')).toMatch(/127\.0\.0\.1 is not in KYSO_FETCH_ALLOW/);
  });

  it('gives up on a server that does not answer in time, or sends too much', async () => {
    const port = await freePort();
    const hanging: Server = createServer((req, res) => {
      if (req.url === '/big.crl') {
        res.writeHead(200);
        const chunk = Buffer.alloc(1024 * 1024, 0x30);
        for (let i = 0; i < 25; i++) res.write(chunk);
        res.end();
      }
      // anything else: never answered
    });
    await new Promise<void>((resolve) => hanging.listen(port, '127.0.0.1', resolve));
    try {
      const [cert, issuer] = await pkiCerts();
      const started = Date.now();
      const quick = new RevocationFetcher({ allow: undefined, timeoutMs: 300 }, systemClock, logger);
      const slow = await quick.status({ ...cert, ocspUrls: [`http://127.0.0.1:${port}/ocsp`], crlUrls: [] }, issuer);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(slow.source === 'none' && slow.problems.join('\n')).toMatch(/no answer within 300 ms/);
      const patient = new RevocationFetcher({ allow: undefined, timeoutMs: 10_000 }, systemClock, logger);
      const big = await patient.status({ ...cert, ocspUrls: [], crlUrls: [`http://127.0.0.1:${port}/big.crl`] }, issuer);
      expect(big.source === 'none' && big.problems.join('\n')).toMatch(/larger than 20971520 bytes/);
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });

  it('reports malformed OCSP answers and CRLs as problems, not errors', async () => {
    const [cert, issuer] = await pkiCerts();
    const bad = malformedRevocationData(issuer.subjectDer, new Date(Date.now() - 3600_000));
    const bodies = new Map([
      ['/empty-certs', bad.ocspResponses[0]!],
      ['/no-response-data', bad.ocspResponses[1]!],
      ['/empty-extensions.crl', bad.crls[0]!],
      ['/pss.crl', bad.crls[1]!],
    ]);
    const port = await freePort();
    const server: Server = createServer((req, res) => {
      req.resume();
      const body = bodies.get(req.url ?? '');
      if (body) res.writeHead(200).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${port}`;
      const fetcher = new RevocationFetcher({ allow: undefined, timeoutMs: 3000 }, systemClock, logger);
      const result = await fetcher.status(
        { ...cert, ocspUrls: [`${base}/empty-certs`, `${base}/no-response-data`], crlUrls: [`${base}/empty-extensions.crl`, `${base}/pss.crl`] },
        issuer,
      );
      expect(result.source).toBe('none');
      const problems = result.source === 'none' ? result.problems.join('\n') : '';
      expect(problems).toMatch(/empty-certs: unreadable OCSP response/);
      expect(problems).toMatch(/no-response-data: unreadable OCSP response/);
      expect(problems).toMatch(/empty-extensions\.crl: unreadable CRL/);
      expect(problems).toMatch(/pss\.crl: the CRL is not signed by/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
