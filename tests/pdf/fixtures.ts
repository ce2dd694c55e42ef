import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PDFArray, PDFDocument, PDFName, PDFString, StandardFonts } from 'pdf-lib';

/** DejaVu Sans, the font kyso embeds in visible signatures. */
export const FONT = readFileSync(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'));

/**
 * A school's transcript template: one A4 page with a text field "HoTen" and two empty signature
 * fields, "GiaoVien" (homeroom teacher) and "HieuTruong" (principal), as a school prepares them.
 */
export async function transcriptTemplate(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText('HOC BA SO - Nguyen Van An - lop 12A1', { x: 72, y: 760, size: 14, font });
  const form = doc.getForm();
  form.createTextField('HoTen').addToPage(page, { x: 72, y: 700, width: 200, height: 20 });
  const acroForm = form.acroForm.dict;
  const list = acroForm.lookup(PDFName.of('Fields'), PDFArray);
  const annots = page.node.lookup(PDFName.of('Annots'), PDFArray);
  for (const [name, rect] of [
    ['GiaoVien', [60, 480, 280, 580]],
    ['HieuTruong', [320, 480, 540, 580]],
  ] as const) {
    const ref = doc.context.register(doc.context.obj({ Type: 'Annot', Subtype: 'Widget', FT: 'Sig', T: PDFString.of(name), Rect: [...rect], F: 4, P: page.ref }));
    list.push(ref);
    annots.push(ref);
  }
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}
