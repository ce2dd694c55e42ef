/**
 * Builds signed PDFs the way external signing tools do, without kyso's code: a one-page PDF, then
 * one incremental update per signature with a signature field, a /ByteRange and a /Contents hole
 * filled with a CMS made by `sign` over the ByteRange bytes (ISO 32000-1 §12.8.1).
 */

const CONTENTS_BYTES = 8192;

/** A minimal one-page PDF with a classic cross-reference table. */
export function unsignedPdf(): Buffer {
  const page = 'BT /F1 12 Tf 72 720 Td (Hoc ba so) Tj ET';
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>',
    `<< /Length ${page.length} >>\nstream\n${page}\nendstream`,
  ];
  let body = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/**
 * Appends a signature as an incremental update. `sign` receives the bytes the ByteRange covers and
 * returns the DER CMS placed in /Contents.
 */
export function addSignature(
  pdf: Buffer,
  sign: (signedBytes: Buffer) => Buffer,
  options: { subFilter?: string; signingTime?: string } = {},
): Buffer {
  const prepared = prepareSignature(pdf, options);
  return prepared.fill(sign(prepared.signedBytes));
}

/** The update with its ByteRange set and /Contents still empty, for signers that answer later (a TSA over HTTP). */
export function prepareSignature(
  pdf: Buffer,
  options: { subFilter?: string; signingTime?: string } = {},
): { signedBytes: Buffer; fill(cms: Buffer): Buffer } {
  const text = pdf.toString('latin1');
  const prevXref = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)![1]);
  const size = Number([...text.matchAll(/\/Size (\d+)/g)].pop()![1]);
  const fields = [...text.matchAll(/\/FT \/Sig/g)].length;
  const widget = size;
  const sig = size + 1;
  const widgets = [...Array.from({ length: fields }, (_, i) => `${5 + i * 2} 0 R`), `${widget} 0 R`].join(' ');
  const objects: Array<[number, string]> = [
    [1, `<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [${widgets}] /SigFlags 3 >> >>`],
    [3, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Annots [${widgets}] >>`],
    [widget, `<< /Type /Annot /Subtype /Widget /FT /Sig /Rect [0 0 0 0] /F 132 /T (Signature${fields + 1}) /P 3 0 R /V ${sig} 0 R >>`],
    [
      sig,
      `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /${options.subFilter ?? 'ETSI.CAdES.detached'} ` +
        `/ByteRange [0 ********** ********** **********] /Contents <${'0'.repeat(CONTENTS_BYTES * 2)}> ` +
        `/M (${options.signingTime ?? pdfDate(new Date())}) >>`,
    ],
  ];
  let update = '\n';
  const offsets = new Map<number, number>();
  for (const [num, object] of objects) {
    offsets.set(num, pdf.length + Buffer.byteLength(update, 'latin1'));
    update += `${num} 0 obj\n${object}\nendobj\n`;
  }
  const xref = pdf.length + Buffer.byteLength(update, 'latin1');
  update += 'xref\n0 1\n0000000000 65535 f \n';
  for (const num of [...offsets.keys()].sort((a, b) => a - b)) {
    update += `${num} 1\n${String(offsets.get(num)).padStart(10, '0')} 00000 n \n`;
  }
  update += `trailer\n<< /Size ${sig + 1} /Root 1 0 R /Prev ${prevXref} >>\nstartxref\n${xref}\n%%EOF\n`;
  const out = Buffer.concat([pdf, Buffer.from(update, 'latin1')]);

  const hole = out.indexOf(`/Contents <${'0'.repeat(16)}`, pdf.length) + '/Contents '.length;
  const holeEnd = hole + CONTENTS_BYTES * 2 + 2;
  const range = [0, hole, holeEnd, out.length - holeEnd];
  const rangeAt = out.indexOf('/ByteRange [0 **********', pdf.length) + '/ByteRange [0 '.length;
  out.write(range.slice(1).map((n) => String(n).padEnd(10, ' ')).join(' '), rangeAt, 'latin1');
  return {
    signedBytes: Buffer.concat([out.subarray(0, hole), out.subarray(holeEnd)]),
    fill(cms) {
      if (cms.length > CONTENTS_BYTES) throw new Error('CMS larger than the reserved /Contents');
      const filled = Buffer.from(out);
      filled.write(cms.toString('hex'), hole + 1, 'latin1');
      return filled;
    },
  };
}

/** A PDF date `D:YYYYMMDDHHmmSSZ` (ISO 32000-1 §7.9.4). */
export function pdfDate(date: Date): string {
  return `D:${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}
