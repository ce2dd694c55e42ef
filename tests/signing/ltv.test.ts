import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { samplePdf } from '../pki/cms-fixtures.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { scratch, type Scratch } from '../support/scratch.js';
import { binary, openAccount } from './support.js';

const PIN = '802461';
const clock = fixedClock(new Date());
let t: TestKyso;
let a: Awaited<ReturnType<typeof seedTenant>>;
let account: { id: string };
let tmp: Scratch;
const signed = new Map<string, Buffer>();

const sign = (document: Buffer, options: Record<string, unknown>) =>
  t
    .http()
    .post(`/api/v1/signing-accounts/${account.id}/sign`)
    .set('Authorization', `Bearer ${a.tokens.signer}`)
    .set('Accept', 'application/pdf')
    .field('options', JSON.stringify({ pin: PIN, format: 'pades', ...options }))
    .attach('document', document, 'hoc-ba.pdf')
    .buffer(true)
    .parse(binary);

const verify = async (pdf: Buffer) => (await t.http().post('/api/v1/verify').send({ document: pdf.toString('base64') })).body;

/** Appends an incremental update replacing or adding objects (`number` → body), chained to the last xref. */
function appendUpdate(pdf: Buffer, objects: Record<number, string>): Buffer {
  const text = pdf.toString('latin1');
  const prev = Number([...text.matchAll(/startxref\s+(\d+)/g)].pop()![1]);
  const root = [...text.matchAll(/\/Root (\d+ \d+ R)/g)].pop()![1];
  const size = Math.max(...[...text.matchAll(/\/Size (\d+)/g)].map((m) => Number(m[1])), ...Object.keys(objects).map((n) => Number(n) + 1));
  let out = pdf.toString('latin1');
  const offsets: Array<[number, number]> = [];
  for (const [n, body] of Object.entries(objects)) {
    offsets.push([Number(n), Buffer.byteLength(out, 'latin1')]);
    out += `${n} 0 obj\n${body}\nendobj\n`;
  }
  const xrefAt = Buffer.byteLength(out, 'latin1');
  out += `xref\n${offsets.map(([n, at]) => `${n} 1\n${String(at).padStart(10, '0')} 00000 n\r\n`).join('')}trailer\n<< /Size ${size} /Root ${root} /Prev ${prev} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

beforeAll(async () => {
  t = await startTestKyso({ clock });
  a = await seedTenant(t, 'lt');
  account = await openAccount(t, a.tokens.officer, { userId: a.userIds.signer, organizationId: a.organizationId, pin: PIN }, a.tokens.signer);
  tmp = scratch();
  const pdf = await samplePdf(false, 1);
  for (const level of ['B-B', 'B-T', 'B-LT', 'B-LTA']) {
    const res = await sign(pdf, { level, visible: { page: 1, rect: [300, 80, 550, 160] } });
    expect(res.status, level).toBe(200);
    signed.set(level, res.body);
  }
}, 120_000);
afterAll(async () => {
  tmp.remove();
  await t.close();
});

describe('PAdES levels', () => {
  it('B-LT carries the chain, CRLs and OCSP answers in a DSS with a VRI entry; B-LTA adds a document time-stamp; pdfsig accepts them', async () => {
    const lt = signed.get('B-LT')!.toString('latin1');
    expect(lt).toMatch(/\/DSS \d+ 0 R/);
    expect(lt).toMatch(/\/VRI <<\s*\/[0-9A-F]{40}/);
    const lta = signed.get('B-LTA')!;
    expect(lta.toString('latin1')).toContain('/SubFilter /ETSI.RFC3161');
    const file = tmp.write('lta.pdf', lta);
    const out = tmp.run('pdfsig', [file]).output;
    // This poppler lists the document time-stamp but cannot check ETSI.RFC3161; kyso's verifier does (below).
    expect(out.match(/Signature is Valid/g)).toHaveLength(1);
    expect(out).toContain('Signature Field Name: DocumentTimestamp1');
    expect(tmp.run('qpdf', ['--check', file]).ok).toBe(true);
    const dss = (await PDFDocument.load(lta)).catalog.lookup((await import('pdf-lib')).PDFName.of('DSS'));
    expect(dss?.toString()).toMatch(/\/Certs \[/);
    expect(dss?.toString()).toMatch(/\/OCSPs \[/);
    expect(dss?.toString()).toMatch(/\/CRLs \[/);
  });

  it('reports each signature’s level, field name and what changed after it', async () => {
    for (const level of ['B-B', 'B-T', 'B-LT', 'B-LTA']) {
      const report = await verify(signed.get(level)!);
      expect(report.indication, level).toBe('TOTAL_PASSED');
      const pades = report.signatures.find((s: { format: string }) => s.format === 'PAdES');
      expect(pades).toMatchObject({ level, fieldName: 'Signature1' });
      expect(pades.coversWholeDocument).toBe(level === 'B-B' || level === 'B-T');
      expect(pades.modifiedAfter).toBe(level === 'B-B' || level === 'B-T' ? 'none' : 'signatures');
    }
  });

  it('ten years later (every certificate expired): B-LTA still TOTAL_PASSED on its embedded proofs; B-B and B-T are not', async () => {
    const saved = clock.now();
    clock.advance(10 * 366 * 24 * 3600 * 1000);
    try {
      const lta = await verify(signed.get('B-LTA')!);
      expect(lta.indication).toBe('TOTAL_PASSED');
      expect(lta.signatures).toHaveLength(2);
      const bb = await verify(signed.get('B-B')!);
      expect(bb).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
      const bt = await verify(signed.get('B-T')!);
      expect(bt).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
    } finally {
      clock.set(saved);
    }
  });
});

describe('changes after signing', () => {
  it('page content replaced by an incremental update: modifiedAfter content, INDETERMINATE, never TOTAL_PASSED', async () => {
    const pdf = signed.get('B-B')!;
    const doc = await PDFDocument.load(pdf);
    const contents = doc.getPage(0).node.get((await import('pdf-lib')).PDFName.of('Contents'))!.toString();
    const number = Number(/(\d+) 0 R/.exec(contents)![1]);
    const drawing = 'BT /F1 24 Tf 72 700 Td (Diem: 10 / 10) Tj ET';
    const tampered = appendUpdate(pdf, { [number]: `<< /Length ${drawing.length} >>\nstream\n${drawing}\nendstream` });
    const report = await verify(tampered);
    expect(report.indication).toBe('INDETERMINATE');
    expect(report.signatures[0]).toMatchObject({ modifiedAfter: 'content', coversWholeDocument: false, subIndication: 'SIG_CONSTRAINTS_FAILURE' });
    // pdfsig still calls the signed bytes valid: only a revision comparison sees the new page.
    expect(tmp.run('pdfsig', [tmp.write('tampered.pdf', tampered)]).output).toContain('Signature is Valid');
  });

  it('an annotation added after signing is reported, the signature stays valid', async () => {
    const pdf = signed.get('B-B')!;
    const doc = await PDFDocument.load(pdf);
    const page = doc.getPage(0);
    const pageNumber = page.ref.objectNumber;
    const size = doc.context.largestObjectNumber + 1;
    const annots = page.node.get((await import('pdf-lib')).PDFName.of('Annots'))!.toString();
    const pageDict = page.node.toString().replace(annots, `${annots.replace(/\]$/, '')} ${size} 0 R]`);
    const annotated = appendUpdate(pdf, { [size]: '<< /Type /Annot /Subtype /Text /Rect [100 100 120 120] /Contents (sua diem) >>', [pageNumber]: pageDict });
    const report = await verify(annotated);
    expect(report.signatures[0]).toMatchObject({ modifiedAfter: 'annotations', indication: 'TOTAL_PASSED' });
    expect(report.signatures[0].warnings.join()).toMatch(/annotations/);
  });
});
