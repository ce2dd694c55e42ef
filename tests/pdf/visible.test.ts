import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { PDFDocument, PDFRawStream } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CmsSignatureBuilder } from '../../src/pki/cms.js';
import { PdfError, preparePdfSignature, type PdfSignatureOptions } from '../../src/pki/pades.js';
import { realSize, SignatureAppearance, vietnamTime, type AppearanceInput } from '../../src/pki/pdf-appearance.js';
import { goldenPki, samplePdf, type GoldenPki } from '../pki/cms-fixtures.js';
import { scratch, type Scratch } from '../support/scratch.js';
import { FONT, transcriptTemplate } from './fixtures.js';
import { sealPng, signaturePng } from './images.js';
import { difference, inkRatio, renderRegion, toPng } from './render.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
/** Set KYSO_UPDATE_GOLDEN=1 once to rewrite the stored goldens after a deliberate change (then look at them). */
const UPDATE = process.env.KYSO_UPDATE_GOLDEN === '1';
const AT = new Date('2026-11-23T07:05:09Z');

const TEACHER: AppearanceInput = {
  holder: 'individual',
  signerName: 'Nguyễn Thị Hương',
  organizationName: 'Trường THPT Chu Văn An',
  reason: 'Xác nhận học bạ',
};
const SCHOOL: AppearanceInput = {
  holder: 'organization',
  signerName: 'Trường THPT Chu Văn An',
  organizationName: 'Trường Trung học phổ thông Chu Văn An',
  image: sealPng(),
};

let pki: GoldenPki;
let tmp: Scratch;
beforeAll(async () => {
  pki = await goldenPki();
  tmp = scratch();
});
afterAll(() => tmp.remove());

/** The stored golden file `name`, or (KYSO_UPDATE_GOLDEN=1) `actual` written as the new golden. */
function golden(name: string, actual: Buffer): Buffer {
  const file = path.join(FIXTURES, name);
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) throw new Error(`missing golden ${name}: run once with KYSO_UPDATE_GOLDEN=1 and inspect it`);
    writeFileSync(file, actual);
  }
  return readFileSync(file);
}

async function sign(pdf: Buffer, options: Partial<PdfSignatureOptions>): Promise<Buffer> {
  const prepared = await preparePdfSignature(pdf, { signingTime: AT, contentsSize: 8192, ...options });
  const cms = await new CmsSignatureBuilder(pki.p256Signer, [pki.p256Der, pki.caDer]).sign({ digest: prepared.digest('sha256') });
  return prepared.embed(cms);
}

function pdfsig(pdf: Buffer, name: string) {
  const file = tmp.write(name, pdf);
  return { file, output: tmp.run('pdfsig', [file]).output, qpdf: tmp.run('qpdf', ['--check', file]) };
}

describe('the appearance stream (golden, fixed time)', () => {
  it('shows the time in ISO 8601 with the Vietnam offset', () => {
    expect(vietnamTime(AT)).toBe('2026-11-23T14:05:09+07:00');
    expect(vietnamTime(new Date('2026-12-31T20:00:00Z'))).toBe('2027-01-01T03:00:00+07:00');
  });

  it('text appearance: name, organization, time and reason, word-wrapped in the embedded font', async () => {
    const appearance = await SignatureAppearance.create(FONT, TEACHER);
    const content = appearance.content(220, 100, AT);
    expect(Buffer.from(content).equals(golden('appearance-text.txt', Buffer.from(content)))).toBe(true);
    expect(content).toMatch(/^BT\n\/F1 [\d.]+ Tf/);
    expect(content.match(/ Tj/g)).toHaveLength(4);
  });

  it('seal appearance: the seal at its real size at the left, the name and time beside it', async () => {
    const appearance = await SignatureAppearance.create(FONT, SCHOOL);
    const content = appearance.content(300, 120, AT);
    expect(Buffer.from(content).equals(golden('appearance-seal.txt', Buffer.from(content)))).toBe(true);
    // 400 px at 10,000 px/m = 40 mm = 113.39 pt, drawn unscaled at x = 0, centred vertically.
    expect(content).toContain('113.39 0 0 113.39 0 3.31 cm\n/Img Do');
  });

  it('person with an image: the image fitted, aspect kept, centred, no text', async () => {
    const appearance = await SignatureAppearance.create(FONT, { ...TEACHER, image: signaturePng() });
    // 300×100 px into 200×100 pt: 200×66.67, 16.67 pt from the bottom.
    expect(appearance.content(200, 100, AT)).toBe('q\n200 0 0 66.67 0 16.67 cm\n/Img Do\nQ\n');
  });

  it('placed in many documents, each stream shows its own time and size (the content is reused only when both match)', async () => {
    const appearance = await SignatureAppearance.create(FONT, TEACHER);
    const later = new Date(AT.getTime() + 1000);
    const placed = async (width: number, height: number, at: Date) => {
      const doc = await PDFDocument.create();
      const stream = doc.context.lookup(appearance.place(doc.context, width, height, at)) as PDFRawStream;
      return inflateSync(stream.getContents()).toString('latin1');
    };
    for (const [width, height, at] of [[220, 100, AT], [220, 100, AT], [220, 100, later], [300, 120, later], [220, 100, AT]] as const) {
      expect(await placed(width, height, at)).toBe(appearance.content(width, height, at));
    }
    expect(await placed(220, 100, later)).not.toBe(await placed(220, 100, AT));
  });

  it('reads a PNG’s physical size from pHYs, else takes 40 mm', () => {
    expect(realSize(sealPng(), 400, 400).width).toBeCloseTo(113.39, 1);
    expect(realSize(signaturePng(), 300, 100).width).toBeCloseTo(113.39, 1);
    expect(realSize(signaturePng(), 300, 100).height).toBeCloseTo(37.8, 1);
  });
});

describe('visible signatures in a PDF', () => {
  it('draws a printable /FT /Sig widget with its appearance; pdfsig valid, qpdf clean, diacritics rendered', async () => {
    const pdf = await samplePdf(true, 2);
    const rect = [60, 600, 300, 700] as const;
    const appearance = await SignatureAppearance.create(FONT, TEACHER);
    const signed = await sign(pdf, { placement: { page: -1, rect }, appearance });
    expect(signed.subarray(0, pdf.length).equals(pdf)).toBe(true);
    const check = pdfsig(signed, 'text.pdf');
    expect(check.output).toContain('Signature is Valid');
    expect(check.output).toContain('Total document signed');
    expect(check.qpdf.ok).toBe(true);

    const doc = await PDFDocument.load(signed);
    const widget = doc.getPage(1).node.Annots()!.asArray().map((ref) => doc.context.lookup(ref)!.toString()).join('\n');
    expect(widget).toContain('/FT /Sig');
    expect(widget).toMatch(/\/F 132/); // Print + Locked
    expect(widget).toMatch(/\/AP <<\s*\/N \d+ 0 R/);
    expect(widget).toContain('/Rect [ 60 600 300 700 ]');
    // The font is embedded as a subset (a six-letter tag before its name).
    expect(signed.toString('latin1')).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans/);

    const text = tmp.run('pdftotext', ['-f', '2', '-l', '2', check.file, '-']).output;
    expect(text).toContain('Ký bởi: Nguyễn Thị Hương');
    expect(text).toContain('2026-11-23T14:05:09+07:00');

    const region = renderRegion(tmp, check.file, 2, rect);
    expect(inkRatio(region)).toBeGreaterThan(0.02);
    const reference = golden('render-text.png', toPng(region));
    expect(difference(region, reference)).toBeLessThan(0.0003);
    // The comparison sees a name without its diacritics.
    const plain = await sign(pdf, { placement: { page: -1, rect }, appearance: await SignatureAppearance.create(FONT, { ...TEACHER, signerName: 'Nguyễn Thi Hương' }) });
    expect(difference(renderRegion(tmp, tmp.write('plain.pdf', plain), 2, rect), reference)).toBeGreaterThan(0.0003);
    // The first page is untouched.
    expect(inkRatio(renderRegion(tmp, check.file, 1, rect))).toBe(0);
  });

  it('renders the seal over the left third with the organization and time beside it', async () => {
    const pdf = await samplePdf(false, 1);
    const rect = [250, 400, 550, 520] as const;
    const appearance = await SignatureAppearance.create(FONT, SCHOOL);
    const signed = await sign(pdf, { placement: { page: 1, rect }, appearance });
    const check = pdfsig(signed, 'seal.pdf');
    expect(check.output).toContain('Signature is Valid');
    expect(check.qpdf.ok).toBe(true);
    const region = renderRegion(tmp, check.file, 1, rect);
    const reference = golden('render-seal.png', toPng(region));
    expect(difference(region, reference)).toBeLessThan(0.0003);
    // Red seal pixels lie in the left third only; the text (dark blue) right of it.
    let redLeft = 0;
    let redRight = 0;
    for (let y = 0; y < region.height; y++) {
      for (let x = 0; x < region.width; x++) {
        const [r, g, b] = region.rgb.subarray((y * region.width + x) * 3, (y * region.width + x) * 3 + 3);
        if (r! > 180 && g! < 80 && b! < 80) {
          if (x < region.width * 0.4) redLeft++;
          else redRight++;
        }
      }
    }
    expect(redLeft).toBeGreaterThan(1000);
    expect(redRight).toBe(0);
    const text = tmp.run('pdftotext', [check.file, '-']).output;
    expect(text).toContain('Trường Trung học phổ thông Chu');
  });

  it('fills an empty signature field of a template by name', async () => {
    const template = await transcriptTemplate();
    const appearance = await SignatureAppearance.create(FONT, { ...TEACHER, image: signaturePng() });
    const signed = await sign(template, { placement: { field: 'HieuTruong' }, appearance });
    const check = pdfsig(signed, 'field.pdf');
    expect(check.output).toContain('Signature Field Name: HieuTruong');
    expect(check.output).toContain('Signature is Valid');
    expect(check.qpdf.ok).toBe(true);
    // The image (blue) is drawn in HieuTruong's rectangle, not in GiaoVien's.
    expect(inkRatio(renderRegion(tmp, check.file, 1, [320, 480, 540, 580]))).toBeGreaterThan(0.02);
    expect(inkRatio(renderRegion(tmp, check.file, 1, [60, 480, 280, 580]))).toBe(0);
  });

  it('teacher → principal → seal: three incremental updates, the first certifying (DocMDP P=2); pdfsig: all valid', async () => {
    const template = await transcriptTemplate();
    const teacher = await sign(template, {
      placement: { field: 'GiaoVien' },
      appearance: await SignatureAppearance.create(FONT, TEACHER),
      certify: true,
    });
    const principal = await sign(teacher, {
      placement: { field: 'HieuTruong' },
      appearance: await SignatureAppearance.create(FONT, { ...TEACHER, signerName: 'Trần Văn Bình', image: signaturePng() }),
    });
    const sealed = await sign(principal, { placement: { page: 1, rect: [300, 470, 560, 590] }, appearance: await SignatureAppearance.create(FONT, SCHOOL) });
    for (const [earlier, later] of [
      [template, teacher],
      [teacher, principal],
      [principal, sealed],
    ] as const) {
      expect(later.subarray(0, earlier.length).equals(earlier)).toBe(true);
    }
    expect(teacher.toString('latin1')).toContain('/TransformMethod /DocMDP');
    expect(teacher.toString('latin1')).toMatch(/\/Perms <<\s*\/DocMDP \d+ 0 R/);
    const check = pdfsig(sealed, 'three.pdf');
    expect(check.output.match(/Signature is Valid/g)).toHaveLength(3);
    expect(check.output).toContain('Signature Field Name: GiaoVien');
    expect(check.output).toContain('Signature Field Name: HieuTruong');
    expect(check.output).toContain('Signature Field Name: Signature1');
    expect(check.qpdf.ok).toBe(true);
    writeFileSync(path.join(tmp.dir, 'three.pdf'), sealed);
  });

  for (const bad of [
    { name: 'a page that does not exist', placement: { page: 3, rect: [10, 10, 100, 50] }, path: 'visible.page', message: /page 3 does not exist: the PDF has 2 pages/ },
    { name: 'page 0', placement: { page: 0, rect: [10, 10, 100, 50] }, path: 'visible.page', message: /page 0 does not exist/ },
    { name: 'a rectangle off the page', placement: { page: 1, rect: [500, 800, 700, 900] }, path: 'visible.rect', message: /off page 1/ },
    { name: 'an empty rectangle', placement: { page: 1, rect: [100, 100, 100, 150] }, path: 'visible.rect', message: /x1 < x2/ },
  ] as const) {
    it(`refuses ${bad.name}`, async () => {
      const appearance = await SignatureAppearance.create(FONT, TEACHER);
      const options = { signingTime: AT, contentsSize: 8192, placement: bad.placement, appearance };
      const err = await preparePdfSignature(await samplePdf(false, 2), options).catch((e) => e);
      expect(err).toBeInstanceOf(PdfError);
      expect(err.path).toBe(bad.path);
      expect(err.message).toMatch(bad.message);
    });
  }

  it('refuses a field that is missing, not a signature field, or already signed; and certifying a signed PDF', async () => {
    const template = await transcriptTemplate();
    const attempt = (pdf: Buffer, options: Partial<PdfSignatureOptions>) =>
      preparePdfSignature(pdf, { signingTime: AT, contentsSize: 8192, ...options }).catch((e: PdfError) => `${e.path}: ${e.message}`);
    expect(await attempt(template, { placement: { field: 'KhongCo' } })).toBe('visible.field: the PDF has no signature field named "KhongCo"');
    expect(await attempt(template, { placement: { field: 'HoTen' } })).toBe('visible.field: the field "HoTen" is not a signature field');
    const once = await sign(template, { placement: { field: 'GiaoVien' } });
    expect(await attempt(once, { placement: { field: 'GiaoVien' } })).toBe('visible.field: the signature field "GiaoVien" is already signed');
    expect(await attempt(once, { certify: true })).toBe('certify: only the first signature of a document can certify it: this PDF is already signed');
  });
});
