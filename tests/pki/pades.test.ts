import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CmsSignatureBuilder, CMS_OID } from '../../src/pki/cms.js';
import { toArrayBuffer } from '../../src/pki/engine.js';
import { PdfError, preparePdfSignature } from '../../src/pki/pades.js';
import { scratch } from '../support/scratch.js';
import { goldenPki, samplePdf, type GoldenPki } from './cms-fixtures.js';

let pki: GoldenPki;
let tmp: ReturnType<typeof scratch>;
beforeAll(async () => {
  pki = await goldenPki();
  tmp = scratch();
});
afterAll(() => tmp.remove());

async function sign(pdf: Buffer, at = new Date('2026-11-22T03:00:00Z')): Promise<Buffer> {
  const prepared = await preparePdfSignature(pdf, { signingTime: at, contentsSize: 8192 });
  const builder = new CmsSignatureBuilder(pki.p256Signer, [pki.p256Der, pki.caDer]);
  const cms = await builder.sign({ digest: prepared.digest('sha256') });
  return prepared.embed(cms);
}

describe('preparePdfSignature', () => {
  for (const objectStreams of [false, true]) {
    it(`signs as an incremental update that pdfsig accepts (${objectStreams ? 'xref stream' : 'classic xref'})`, async () => {
      const pdf = await samplePdf(objectStreams);
      const signed = await sign(pdf);
      // Incremental: the original bytes are untouched at the start of the signed file.
      expect(signed.subarray(0, pdf.length).equals(pdf)).toBe(true);
      const file = tmp.write(`signed-${objectStreams}.pdf`, signed);
      const out = tmp.run('pdfsig', [file]);
      expect(out.output).toContain('Signature is Valid');
      expect(out.output).toContain('Total document signed');
      expect(out.output).toContain('ETSI.CAdES.detached');
      // The document still opens and has its pages.
      expect((await PDFDocument.load(signed)).getPageCount()).toBe(2);
    });
  }

  it('covers the whole file but the /Contents hole, and the CMS has no signingTime (PAdES)', async () => {
    const pdf = await samplePdf(false);
    const prepared = await preparePdfSignature(pdf, { signingTime: new Date(), contentsSize: 8192 });
    const builder = new CmsSignatureBuilder(pki.p256Signer, [pki.p256Der, pki.caDer]);
    const cms = await builder.sign({ digest: prepared.digest('sha256') });
    const signed = prepared.embed(cms);
    const [a, b, c, d] = prepared.byteRange;
    expect(a).toBe(0);
    expect(c + d).toBe(signed.length);
    expect(signed.toString('latin1', b, b + 1)).toBe('<');
    expect(signed.toString('latin1', c - 1, c)).toBe('>');
    const digest = createHash('sha256').update(signed.subarray(0, b)).update(signed.subarray(c)).digest();
    expect(digest.equals(prepared.digest('sha256'))).toBe(true);
    const info = pkijs.ContentInfo.fromBER(toArrayBuffer(cms));
    const types = new pkijs.SignedData({ schema: info.content }).signerInfos[0]!.signedAttrs!.attributes.map((x) => x.type);
    expect(types).toContain(CMS_OID.signingCertificateV2);
    expect(types).not.toContain(CMS_OID.signingTime);
    expect(signed.toString('latin1')).toMatch(/\/M \(D:\d{14}\+00'00'\)/);
  });

  it('joins an existing form (indirect AcroForm, page annotations) without disturbing its fields', async () => {
    const doc = await PDFDocument.create();
    const page = doc.addPage([595, 842]);
    const form = doc.getForm();
    form.createTextField('hoTen').addToPage(page, { x: 72, y: 700, width: 200, height: 20 });
    form.getTextField('hoTen').setText('Nguyen Van An');
    const pdf = Buffer.from(await doc.save({ useObjectStreams: false }));
    const signed = await sign(pdf);
    const out = tmp.run('pdfsig', [tmp.write('form.pdf', signed)]).output;
    expect(out).toContain('Signature is Valid');
    expect(out).toContain('Total document signed');
    const reread = await PDFDocument.load(signed);
    expect(reread.getForm().getTextField('hoTen').getText()).toBe('Nguyen Van An');
    expect(reread.getForm().getFields().map((f) => f.getName()).sort()).toEqual(['Signature1', 'hoTen']);
  });

  it('adds a second signature without breaking the first', async () => {
    const once = await sign(await samplePdf(true));
    const twice = await sign(once, new Date('2026-11-22T04:00:00Z'));
    const file = tmp.write('twice.pdf', twice);
    const out = tmp.run('pdfsig', [file]).output;
    expect(out.match(/Signature is Valid/g)).toHaveLength(2);
    expect(out).toContain('Total document signed');
    expect(out).toContain('Signature1');
    expect(out).toContain('Signature2');
  });

  it('is detected by pdfsig as tampered when a signed byte changes', async () => {
    const signed = await sign(await samplePdf(false));
    const at = signed.indexOf('Hoc ba so') >= 0 ? signed.indexOf('Hoc ba so') : 200;
    const tampered = Buffer.from(signed);
    tampered[at] ^= 0x01;
    const out = tmp.run('pdfsig', [tmp.write('tampered.pdf', tampered)]).output;
    expect(out).not.toContain('Signature is Valid');
  });

  it('refuses what is not a PDF', async () => {
    await expect(preparePdfSignature(Buffer.from('hello, not a pdf'), { signingTime: new Date(), contentsSize: 100 })).rejects.toBeInstanceOf(PdfError);
    await expect(preparePdfSignature(Buffer.from('%PDF-1.7\ngarbage'), { signingTime: new Date(), contentsSize: 100 })).rejects.toBeInstanceOf(PdfError);
  });
});
