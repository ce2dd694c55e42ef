import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { octetString } from '../../src/pki/der.js';
import { DocumentSigningService } from '../../src/signing/documents.js';
import type { SigningAccountService } from '../../src/signing/accounts.js';
import type { ValidationDataCollector } from '../../src/signing/validation-data.js';
import type { TimeStampAuthority } from '../../src/tsa/tsa.js';
import { goldenPki, samplePdf, type GoldenPki } from '../pki/cms-fixtures.js';
import { scratch, type Scratch } from '../support/scratch.js';

let pki: GoldenPki;
let tmp: Scratch;
beforeAll(async () => {
  pki = await goldenPki();
  tmp = scratch();
});
afterAll(() => tmp.remove());

/** The size in bytes of the last /Contents hole of a PDF (its hex digits halved). */
function holeSize(pdf: Buffer): number {
  const start = pdf.lastIndexOf('/Contents <') + '/Contents <'.length;
  return (pdf.indexOf('>', start) - start) / 2;
}

describe('a batch of PDFs under one key (sign jobs)', () => {
  it('sizes the /Contents hole to the largest CMS so far; a CMS that outgrows it is made again in the default hole', async () => {
    // A TSA whose tokens are 1,000 bytes, then once 3,000 (more than the margin), then 1,000 again.
    const tokenSizes = [1000, 1000, 3000];
    const tsa = { token: async () => octetString(Buffer.alloc(tokenSizes.shift() ?? 1000, 0x55)) } as unknown as TimeStampAuthority;
    const accounts = {
      openKey: async () => ({ signer: pki.p256Signer, certificates: [pki.p256Der, pki.caDer] }),
    } as unknown as SigningAccountService;
    const service = new DocumentSigningService(accounts, tsa, fixedClock(new Date('2026-11-23T07:05:09Z')), {} as ValidationDataCollector);
    const signOne = await service.openPdfBatch({ principal: null, ip: null }, 'account', '802461', { level: 'B-T' }, { action: 'test', details: {} });

    const pdf = await samplePdf(false, 1);
    const signed = [];
    for (let i = 0; i < 4; i++) signed.push(await signOne(pdf));
    const holes = signed.map(holeSize);
    // The first document: the default 16 KB; then the first CMS (~2 KB with its 1 KB token) and 256 bytes of room.
    expect(holes[0]).toBe(16_384);
    expect(holes[1]).toBeLessThan(4_000);
    // The third CMS (its token 2 KB larger) did not fit: made again in the default hole, its size learnt.
    expect(holes[2]).toBe(16_384);
    expect(holes[3]).toBeGreaterThan(holes[1]! + 1_500);
    expect(holes[3]).toBeLessThan(6_000);
    for (const [i, document] of signed.entries()) {
      expect(document.subarray(0, pdf.length).equals(pdf)).toBe(true);
      const out = tmp.run('pdfsig', [tmp.write(`batch-${i}.pdf`, document)]).output;
      expect(out).toContain('Signature is Valid');
      expect(tmp.run('qpdf', ['--check', tmp.file(`batch-${i}.pdf`)]).ok).toBe(true);
    }
  });

  it('collects the validation data (B-LT) once for the batch, again once it is 10 minutes old or after a failure', async () => {
    const tsa = { token: async () => octetString(Buffer.alloc(1000, 0x55)) } as unknown as TimeStampAuthority;
    const accounts = {
      openKey: async () => ({ signer: pki.p256Signer, certificates: [pki.p256Der, pki.caDer] }),
    } as unknown as SigningAccountService;
    const outcomes = ['ok', 'ok', 'fail', 'ok'];
    let collections = 0;
    const validation = {
      collect: async () => {
        collections++;
        if (outcomes.shift() === 'fail') throw new Error('the responder is down');
        return { certificates: [pki.p256Der, pki.caDer], crls: [], ocsps: [] };
      },
    } as unknown as ValidationDataCollector;
    const clock = fixedClock(new Date('2026-11-23T07:05:09Z'));
    const service = new DocumentSigningService(accounts, tsa, clock, validation);
    const signOne = await service.openPdfBatch({ principal: null, ip: null }, 'account', '802461', { level: 'B-LT' }, { action: 'test', details: {} });
    const pdf = await samplePdf(false, 1);
    for (let i = 0; i < 3; i++) expect((await signOne(pdf)).toString('latin1')).toMatch(/\/DSS \d+ 0 R/);
    expect(collections).toBe(1);
    clock.advance(10 * 60_000 + 1);
    await signOne(pdf);
    await signOne(pdf);
    expect(collections).toBe(2);
    clock.advance(10 * 60_000 + 1);
    await expect(signOne(pdf)).rejects.toThrow('the responder is down');
    await signOne(pdf);
    expect(collections).toBe(4);
  });
});
