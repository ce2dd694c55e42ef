import { createHash } from 'node:crypto';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFObject, PDFRef, PDFString } from 'pdf-lib';

/** A document that cannot carry a PAdES signature (not a PDF, encrypted, no pages). */
export class PdfError extends Error {}

/** A PDF with its signature incremental update written and a zeroed /Contents hole to fill. */
export interface PreparedPdfSignature {
  /** [offset, length, offset, length] of the signed bytes: everything but the /Contents hole. */
  readonly byteRange: readonly [number, number, number, number];
  /** Digest of the ByteRange: the CMS messageDigest (ETSI EN 319 142-1 §6.2.1). */
  digest(hash: 'sha256' | 'sha384' | 'sha512'): Buffer;
  /** The signed PDF with `cms` (DER SignedData) hex-encoded into the hole. */
  embed(cms: Uint8Array): Buffer;
}

const BYTE_RANGE_WIDTH = 60;

/**
 * Prepares a PAdES-B-B signature (ETSI EN 319 142-1) as an incremental update (ISO 32000-1
 * §7.5.6), leaving the original bytes untouched so earlier signatures stay valid: a signature
 * dictionary (SubFilter ETSI.CAdES.detached, /M the signing time), a signature field widget on
 * the first page, the AcroForm with SigFlags 3, and a cross-reference section chaining to the
 * previous one. pdf-lib reads the structure; the update is written here, since pdf-lib only
 * rewrites whole files. `contentsSize` bytes are reserved for the CMS.
 */
export async function preparePdfSignature(
  pdf: Uint8Array,
  options: { signingTime: Date; contentsSize: number; name?: string },
): Promise<PreparedPdfSignature> {
  const original = Buffer.from(pdf);
  if (!original.subarray(0, 1024).includes('%PDF-')) throw new PdfError('the document is not a PDF');
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(original, { updateMetadata: false });
  } catch (err) {
    throw new PdfError(`the PDF cannot be read: ${(err as Error).message}`);
  }
  if (doc.isEncrypted) throw new PdfError('encrypted PDFs cannot be signed');
  try {
    return writeUpdate(original, doc, options);
  } catch (err) {
    if (err instanceof PdfError) throw err;
    throw new PdfError(`the PDF structure cannot be read: ${(err as Error).message}`);
  }
}

/** Appends the signature's incremental update to `original` and locates the /Contents hole. */
function writeUpdate(
  original: Buffer,
  doc: PDFDocument,
  options: { signingTime: Date; contentsSize: number; name?: string },
): PreparedPdfSignature {
  if (doc.getPageCount() === 0) throw new PdfError('the PDF has no pages');
  const context = doc.context;
  const tail = original.toString('latin1', Math.max(0, original.length - 4096));
  const startxrefs = [...tail.matchAll(/startxref\s+(\d+)/g)];
  if (!startxrefs.length) throw new PdfError('the PDF has no startxref');
  const prevXref = Number(startxrefs[startxrefs.length - 1]![1]);
  const sizes = [...original.toString('latin1').matchAll(/\/Size\s+(\d+)/g)].map((m) => Number(m[1]));
  let next = Math.max(context.largestObjectNumber + 1, ...sizes);
  const allocate = () => PDFRef.of(next++);

  const objects = new Map<PDFRef, PDFObject | string>();
  const signatureRef = allocate();
  const widgetRef = allocate();
  const catalogRef = context.trailerInfo.Root as PDFRef;
  const catalog = doc.catalog.clone(context);
  const page = doc.getPage(0);

  // AcroForm: Fields gains the signature field; SigFlags 3 = SignaturesExist | AppendOnly.
  const acroForm = catalog.get(PDFName.of('AcroForm'));
  const formDict = (acroForm instanceof PDFRef ? context.lookup(acroForm, PDFDict) : acroForm instanceof PDFDict ? acroForm : PDFDict.withContext(context)).clone(context);
  const fields = formDict.get(PDFName.of('Fields'));
  const fieldsArray = fields instanceof PDFRef ? context.lookup(fields, PDFArray) : fields instanceof PDFArray ? fields : undefined;
  // The signature field, merged with its (invisible) widget annotation; its name unique among the fields.
  const names = new Set<string>();
  for (let i = 0; i < (fieldsArray?.size() ?? 0); i++) {
    const field = context.lookup(fieldsArray!.get(i));
    const title = field instanceof PDFDict ? field.get(PDFName.of('T')) : undefined;
    if (title instanceof PDFString) names.add(title.decodeText());
  }
  let fieldName = options.name ?? 'Signature1';
  for (let n = 2; names.has(fieldName); n++) fieldName = `Signature${n}`;
  const widget = context.obj({
    Type: 'Annot',
    Subtype: 'Widget',
    FT: 'Sig',
    T: PDFString.of(fieldName),
    V: signatureRef,
    F: 132, // Print + Locked
    Rect: [0, 0, 0, 0],
    P: page.ref,
  });
  objects.set(widgetRef, widget);

  formDict.set(PDFName.of('Fields'), appended(fieldsArray, widgetRef, context));
  formDict.set(PDFName.of('SigFlags'), PDFNumber.of(3));
  if (acroForm instanceof PDFRef) {
    objects.set(acroForm, formDict);
  } else {
    const formRef = allocate();
    objects.set(formRef, formDict);
    catalog.set(PDFName.of('AcroForm'), formRef);
    objects.set(catalogRef, catalog);
  }

  // Annots of the first page: an indirect array is rewritten in place, a direct one with the page.
  const annots = page.node.get(PDFName.of('Annots'));
  if (annots instanceof PDFRef) {
    objects.set(annots, appended(context.lookup(annots, PDFArray), widgetRef, context));
  } else {
    const pageDict = page.node.clone(context);
    pageDict.set(PDFName.of('Annots'), appended(annots instanceof PDFArray ? annots : undefined, widgetRef, context));
    objects.set(page.ref, pageDict);
  }

  // The signature dictionary, with fixed-width placeholders patched once offsets are known.
  const hole = '0'.repeat(options.contentsSize * 2);
  objects.set(
    signatureRef,
    `<<\n/Type /Sig\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.CAdES.detached\n/ByteRange [${' '.repeat(BYTE_RANGE_WIDTH)}]\n/Contents <${hole}>\n/M ${pdfDate(options.signingTime)}\n>>`,
  );

  const chunks: Buffer[] = [original];
  let offset = original.length;
  const push = (chunk: Buffer) => {
    chunks.push(chunk);
    offset += chunk.length;
  };
  if (original[original.length - 1] !== 0x0a) push(Buffer.from('\n'));
  const entries: Array<{ ref: PDFRef; offset: number }> = [];
  for (const [ref, object] of objects) {
    entries.push({ ref, offset });
    const body = typeof object === 'string' ? Buffer.from(object, 'latin1') : serialize(object);
    push(Buffer.concat([Buffer.from(`${ref.objectNumber} ${ref.generationNumber} obj\n`), body, Buffer.from('\nendobj\n')]));
  }
  const xrefOffset = offset;
  const xref = entries
    .sort((a, b) => a.ref.objectNumber - b.ref.objectNumber)
    .map((e) => `${e.ref.objectNumber} 1\n${String(e.offset).padStart(10, '0')} ${String(e.ref.generationNumber).padStart(5, '0')} n\r\n`)
    .join('');
  const trailer = context.trailerInfo;
  const trailerEntries = [
    `/Size ${next}`,
    `/Root ${catalogRef.toString()}`,
    `/Prev ${prevXref}`,
    ...(trailer.Info ? [`/Info ${trailer.Info.toString()}`] : []),
    ...(trailer.ID ? [`/ID ${trailer.ID.toString()}`] : []),
  ];
  push(Buffer.from(`xref\n${xref}trailer\n<<\n${trailerEntries.join('\n')}\n>>\nstartxref\n${xrefOffset}\n%%EOF\n`, 'latin1'));

  const prepared = Buffer.concat(chunks);
  const signatureAt = entries.find((e) => e.ref === signatureRef)!.offset;
  const contentsStart = prepared.indexOf('/Contents <', signatureAt) + '/Contents '.length;
  const contentsEnd = contentsStart + hole.length + 2;
  const byteRange = [0, contentsStart, contentsEnd, prepared.length - contentsEnd] as const;
  const rangeText = byteRange.join(' ');
  const rangeAt = prepared.indexOf('/ByteRange [', signatureAt) + '/ByteRange ['.length;
  prepared.write(rangeText.padEnd(BYTE_RANGE_WIDTH, ' '), rangeAt, 'latin1');

  return {
    byteRange,
    digest: (hash) =>
      createHash(hash)
        .update(prepared.subarray(0, contentsStart))
        .update(prepared.subarray(contentsEnd))
        .digest(),
    embed: (cms) => {
      if (cms.length > options.contentsSize) throw new Error(`the CMS (${cms.length} bytes) does not fit the ${options.contentsSize}-byte hole`);
      const signed = Buffer.from(prepared);
      signed.write(Buffer.from(cms).toString('hex'), contentsStart + 1, 'latin1');
      return signed;
    },
  };
}

/** A copy of `array` (or a new array) with `ref` appended. */
function appended(array: PDFArray | undefined, ref: PDFRef, context: PDFDocument['context']): PDFArray {
  const copy = PDFArray.withContext(context);
  for (let i = 0; i < (array?.size() ?? 0); i++) copy.push(array!.get(i));
  copy.push(ref);
  return copy;
}

function serialize(object: PDFObject): Buffer {
  const bytes = new Uint8Array(object.sizeInBytes());
  object.copyBytesInto(bytes, 0);
  return Buffer.from(bytes);
}

/** A PDF date string (ISO 32000-1 §7.9.4) in UTC. */
function pdfDate(date: Date): string {
  const iso = date.toISOString();
  return `(D:${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}+00'00')`;
}
