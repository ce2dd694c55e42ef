import { createHash } from 'node:crypto';
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFNumber,
  PDFObject,
  PDFRef,
  PDFString,
  type PDFPage,
} from 'pdf-lib';
import type { SignatureAppearance } from './pdf-appearance.js';

/** A document that cannot carry the signature asked for; `path` names the input at fault. */
export class PdfError extends Error {
  constructor(
    message: string,
    readonly path = 'document',
  ) {
    super(message);
  }
}

/** A PDF with its signature incremental update written and a zeroed /Contents hole to fill. */
export interface PreparedPdfSignature {
  /** [offset, length, offset, length] of the signed bytes: everything but the /Contents hole. */
  readonly byteRange: readonly [number, number, number, number];
  /** The name of the signature field the signature went into. */
  readonly fieldName: string;
  /** Bytes the /Contents hole holds (twice as many hex digits in the file). */
  readonly contentsSize: number;
  /** Digest of the ByteRange: the CMS messageDigest (ETSI EN 319 142-1 §6.2.1). */
  digest(hash: 'sha256' | 'sha384' | 'sha512'): Buffer;
  /** The signed PDF with `cms` (DER SignedData) hex-encoded into the hole. */
  embed(cms: Uint8Array): Buffer;
}

/** Where a visible signature goes: a rectangle on a page (1-based, negative from the end), or an empty signature field. */
export type SignaturePlacement = { page: number; rect: readonly [number, number, number, number] } | { field: string };

/** How a PAdES signature is prepared. */
export interface PdfSignatureOptions {
  signingTime: Date;
  /** Bytes reserved for the CMS. */
  contentsSize: number;
  /** Name of a new signature field (default Signature1, Signature2, …). */
  name?: string;
  /** Visible signatures only; without it the signature is invisible. */
  placement?: SignaturePlacement;
  /** Required with `placement`. */
  appearance?: SignatureAppearance;
  reason?: string;
  location?: string;
  /** Certify the document (DocMDP, P=2: only form fill-in and signing allowed afterwards; ISO 32000-1 §12.8.2.2). */
  certify?: boolean;
}

const BYTE_RANGE_WIDTH = 60;

/** Reads a PDF for signing: a PDF header, readable by pdf-lib, not encrypted, with pages. */
async function loadPdf(pdf: Uint8Array): Promise<{ original: Buffer; doc: PDFDocument }> {
  const original = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  if (!original.subarray(0, 1024).includes('%PDF-')) throw new PdfError('the document is not a PDF');
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(original, { updateMetadata: false, ignoreEncryption: true });
  } catch (err) {
    throw new PdfError(`the PDF cannot be read: ${(err as Error).message}`);
  }
  if (doc.isEncrypted) throw new PdfError('encrypted PDFs cannot be signed: remove the password first');
  const pages = guarded(() => doc.getPageCount());
  if (pages === 0) throw new PdfError('the PDF has no pages');
  return { original, doc };
}

/**
 * Prepares a PAdES signature (ETSI EN 319 142-1) as an incremental update (ISO 32000-1 §7.5.6),
 * leaving the original bytes untouched so earlier signatures stay valid: a signature dictionary
 * (SubFilter ETSI.CAdES.detached, /M the signing time), a signature field whose widget is
 * invisible, or visible with `appearance` at `placement`, the AcroForm with SigFlags 3, and a
 * cross-reference section chaining to the previous one. pdf-lib reads the structure; the update is
 * written here, since pdf-lib only rewrites whole files.
 */
export async function preparePdfSignature(pdf: Uint8Array, options: PdfSignatureOptions): Promise<PreparedPdfSignature> {
  const { original, doc } = await loadPdf(pdf);
  return guarded(() => {
    const update = new IncrementalUpdate(original, doc);
    const signatureRef = update.allocate();
    const fieldName = addSignatureField(update, signatureRef, options);
    const extra = [
      '/Filter /Adobe.PPKLite',
      '/SubFilter /ETSI.CAdES.detached',
      `/M ${pdfDate(options.signingTime)}`,
      ...(options.reason ? [`/Reason ${PDFHexString.fromText(options.reason).toString()}`] : []),
      ...(options.location ? [`/Location ${PDFHexString.fromText(options.location).toString()}`] : []),
      ...(options.certify
        ? ['/Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P 2 /V /1.2 >> >>]']
        : []),
    ];
    return withHole(update, signatureRef, '/Sig', extra, options.contentsSize, fieldName);
  });
}

/**
 * Prepares a document time-stamp (PAdES-B-LTA, ETSI EN 319 142-1 §5.4): an invisible signature
 * field whose /DocTimeStamp dictionary (SubFilter ETSI.RFC3161) will hold a time-stamp token over
 * the ByteRange.
 */
export async function prepareDocumentTimestamp(pdf: Uint8Array, options: { contentsSize: number }): Promise<PreparedPdfSignature> {
  const { original, doc } = await loadPdf(pdf);
  return guarded(() => {
    const update = new IncrementalUpdate(original, doc);
    const signatureRef = update.allocate();
    const fieldName = addSignatureField(update, signatureRef, { name: 'DocumentTimestamp1' });
    return withHole(update, signatureRef, '/DocTimeStamp', ['/Filter /Adobe.PPKLite', '/SubFilter /ETSI.RFC3161'], options.contentsSize, fieldName);
  });
}

/** Validation data for a PDF's DSS (ETSI EN 319 142-1 §5.4.2), DER-encoded. */
export interface ValidationData {
  readonly certificates: readonly Uint8Array[];
  readonly crls: readonly Uint8Array[];
  readonly ocsps: readonly Uint8Array[];
}

/**
 * Appends a Document Security Store by incremental update (PAdES-B-LT): the certificates, CRLs and
 * OCSP responses in /DSS, merged with an existing DSS, and a /VRI entry per signature keyed by the
 * upper-case hex SHA-1 of its /Contents bytes (ETSI EN 319 142-1 §5.4.2.2).
 */
export async function appendDss(pdf: Uint8Array, data: ValidationData, signatureContents: readonly Buffer[]): Promise<Buffer> {
  const { original, doc } = await loadPdf(pdf);
  return guarded(() => {
    const update = new IncrementalUpdate(original, doc);
    const context = doc.context;
    const catalog = doc.catalog.clone(context);
    const existing = context.lookupMaybe(catalog.get(PDFName.of('DSS')), PDFDict);
    const dss = existing ? existing.clone(context) : context.obj({ Type: 'DSS' });
    const streams = (ders: readonly Uint8Array[]) => ders.map((der) => context.register(context.flateStream(der)));
    const refs = { Certs: streams(data.certificates), CRLs: streams(data.crls), OCSPs: streams(data.ocsps) };
    for (const [key, added] of Object.entries(refs)) {
      const previous = context.lookupMaybe(dss.get(PDFName.of(key)), PDFArray);
      const merged = PDFArray.withContext(context);
      for (let i = 0; i < (previous?.size() ?? 0); i++) merged.push(previous!.get(i));
      for (const ref of added) merged.push(ref);
      if (merged.size()) dss.set(PDFName.of(key), merged);
    }
    const vri = context.lookupMaybe(dss.get(PDFName.of('VRI')), PDFDict)?.clone(context) ?? PDFDict.withContext(context);
    for (const contents of signatureContents) {
      const key = createHash('sha1').update(contents).digest('hex').toUpperCase();
      vri.set(PDFName.of(key), context.obj({ Cert: refs.Certs, CRL: refs.CRLs, OCSP: refs.OCSPs }));
    }
    dss.set(PDFName.of('VRI'), vri);
    const dssRef = update.allocate();
    update.set(dssRef, dss);
    catalog.set(PDFName.of('DSS'), dssRef);
    update.set(update.catalogRef, catalog);
    return update.write().bytes;
  });
}

/** Turns pdf-lib's structural errors (a broken object graph) into PdfError. */
function guarded<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof PdfError) throw err;
    throw new PdfError(`the PDF structure cannot be read: ${(err as Error).message}`);
  }
}

/**
 * The objects of one incremental update: replaced objects and new ones, numbered after the
 * highest object number (and /Size) of every earlier revision. Objects pdf-lib registers in the
 * document's context while the update is built (a copied font, an appearance stream) are new too.
 */
class IncrementalUpdate {
  private readonly objects = new Map<PDFRef, PDFObject | string>();
  private readonly base: number;
  private readonly prevXref: number;
  readonly catalogRef: PDFRef;

  constructor(
    readonly original: Buffer,
    readonly doc: PDFDocument,
  ) {
    const context = doc.context;
    const tail = original.toString('latin1', Math.max(0, original.length - 4096));
    const startxrefs = [...tail.matchAll(/startxref\s+(\d+)/g)];
    if (!startxrefs.length) throw new PdfError('the PDF has no startxref');
    this.prevXref = Number(startxrefs[startxrefs.length - 1]![1]);
    context.largestObjectNumber = Math.max(context.largestObjectNumber, largestDeclaredSize(original) - 1);
    this.base = context.largestObjectNumber;
    this.catalogRef = context.trailerInfo.Root as PDFRef;
  }

  allocate(): PDFRef {
    return this.doc.context.nextRef();
  }

  set(ref: PDFRef, object: PDFObject | string): void {
    this.objects.set(ref, object);
  }

  /** The original bytes followed by the update: objects, xref section, trailer (/Prev to the previous xref). */
  write(): { bytes: Buffer; offsets: Map<PDFRef, number> } {
    const context = this.doc.context;
    for (const [ref, object] of context.enumerateIndirectObjects()) {
      if (ref.objectNumber > this.base && !this.objects.has(ref)) this.objects.set(ref, object);
    }
    const chunks: Buffer[] = [this.original];
    let offset = this.original.length;
    const push = (chunk: Buffer) => {
      chunks.push(chunk);
      offset += chunk.length;
    };
    if (this.original[this.original.length - 1] !== 0x0a) push(Buffer.from('\n'));
    const offsets = new Map<PDFRef, number>();
    for (const [ref, object] of this.objects) {
      offsets.set(ref, offset);
      const body = typeof object === 'string' ? Buffer.from(object, 'latin1') : serialize(object);
      push(Buffer.concat([Buffer.from(`${ref.objectNumber} ${ref.generationNumber} obj\n`), body, Buffer.from('\nendobj\n')]));
    }
    const xrefOffset = offset;
    const xref = [...offsets]
      .sort(([a], [b]) => a.objectNumber - b.objectNumber)
      .map(([ref, at]) => `${ref.objectNumber} 1\n${String(at).padStart(10, '0')} ${String(ref.generationNumber).padStart(5, '0')} n\r\n`)
      .join('');
    const trailer = context.trailerInfo;
    const trailerEntries = [
      `/Size ${context.largestObjectNumber + 1}`,
      `/Root ${this.catalogRef.toString()}`,
      `/Prev ${this.prevXref}`,
      ...(trailer.Info ? [`/Info ${trailer.Info.toString()}`] : []),
      ...(trailer.ID ? [`/ID ${trailer.ID.toString()}`] : []),
    ];
    push(Buffer.from(`xref\n${xref}trailer\n<<\n${trailerEntries.join('\n')}\n>>\nstartxref\n${xrefOffset}\n%%EOF\n`, 'latin1'));
    return { bytes: Buffer.concat(chunks), offsets };
  }
}

/**
 * The largest /Size any trailer (or xref stream) of the file declares: new objects are numbered
 * above every revision's, even where a writer declared more than it used. Searched in the bytes,
 * not a latin1 copy of the whole file.
 */
function largestDeclaredSize(pdf: Buffer): number {
  let largest = 0;
  for (let at = pdf.indexOf('/Size'); at !== -1; at = pdf.indexOf('/Size', at + 5)) {
    const match = /^\/Size\s+(\d+)/.exec(pdf.toString('latin1', at, at + 32));
    if (match) largest = Math.max(largest, Number(match[1]));
  }
  return largest;
}

/** Writes the signature dictionary with a zeroed /Contents hole and a ByteRange patched around it. */
function withHole(
  update: IncrementalUpdate,
  signatureRef: PDFRef,
  type: string,
  entries: string[],
  contentsSize: number,
  fieldName: string,
): PreparedPdfSignature {
  const hole = '0'.repeat(contentsSize * 2);
  // /M and the other entries precede /Contents, so readers that scan the dictionary near /ByteRange find them.
  update.set(signatureRef, `<<\n/Type ${type}\n${entries.join('\n')}\n/ByteRange [${' '.repeat(BYTE_RANGE_WIDTH)}]\n/Contents <${hole}>\n>>`);
  const { bytes: prepared, offsets } = update.write();
  const signatureAt = offsets.get(signatureRef)!;
  const contentsStart = prepared.indexOf('/Contents <', signatureAt) + '/Contents '.length;
  const contentsEnd = contentsStart + hole.length + 2;
  const byteRange = [0, contentsStart, contentsEnd, prepared.length - contentsEnd] as const;
  const rangeAt = prepared.indexOf('/ByteRange [', signatureAt) + '/ByteRange ['.length;
  prepared.write(byteRange.join(' ').padEnd(BYTE_RANGE_WIDTH, ' '), rangeAt, 'latin1');
  return {
    byteRange,
    fieldName,
    contentsSize,
    digest: (hash) => createHash(hash).update(prepared.subarray(0, contentsStart)).update(prepared.subarray(contentsEnd)).digest(),
    embed: (cms) => {
      if (cms.length > contentsSize) throw new Error(`the CMS (${cms.length} bytes) does not fit the ${contentsSize}-byte hole`);
      const signed = Buffer.from(prepared);
      signed.write(Buffer.from(cms).toString('hex'), contentsStart + 1, 'latin1');
      return signed;
    },
  };
}

/** A signature field of the AcroForm with its widget and the page it sits on. */
interface SignatureField {
  readonly name: string;
  readonly fieldRef: PDFRef;
  readonly field: PDFDict;
  readonly widgetRef: PDFRef;
  readonly widget: PDFDict;
  /** `other`: a field that is not a signature field (a text box, a check box…). */
  readonly state: 'empty' | 'signed' | 'other';
}

/**
 * Adds the signature's field to the update (or fills an empty one named by `placement.field`),
 * with the AcroForm's SigFlags 3 (SignaturesExist | AppendOnly) and, to certify, the catalog's
 * /Perms /DocMDP. Returns the field's name.
 */
function addSignatureField(
  update: IncrementalUpdate,
  signatureRef: PDFRef,
  options: Pick<PdfSignatureOptions, 'name' | 'placement' | 'appearance' | 'certify'> & { signingTime?: Date },
): string {
  const { doc } = update;
  const context = doc.context;
  const catalog = doc.catalog.clone(context);
  let catalogChanged = false;
  const acroForm = catalog.get(PDFName.of('AcroForm'));
  const formDict = (context.lookupMaybe(acroForm, PDFDict) ?? PDFDict.withContext(context)).clone(context);
  const fieldsArray = context.lookupMaybe(formDict.get(PDFName.of('Fields')), PDFArray);
  const fields = signatureFields(doc, fieldsArray);
  if (options.certify && fields.some((f) => f.state === 'signed')) {
    throw new PdfError('only the first signature of a document can certify it: this PDF is already signed', 'certify');
  }
  const placement = options.placement;
  let fieldName: string;

  if (placement && 'field' in placement) {
    const target = fields.find((f) => f.name === placement.field);
    if (!target) throw new PdfError(`the PDF has no signature field named "${placement.field}"`, 'visible.field');
    if (target.state === 'other') throw new PdfError(`the field "${placement.field}" is not a signature field`, 'visible.field');
    if (target.state === 'signed') throw new PdfError(`the signature field "${placement.field}" is already signed`, 'visible.field');
    const rect = rectOf(target.widget);
    const widget = target.widget.clone(context);
    const flags = widget.get(PDFName.of('F'));
    widget.set(PDFName.of('F'), PDFNumber.of(((flags instanceof PDFNumber ? flags.asNumber() : 0) | 4) & ~(1 | 2 | 32))); // Print, not Invisible/Hidden/NoView
    if (options.appearance && rect.width > 0 && rect.height > 0) {
      widget.set(PDFName.of('AP'), context.obj({ N: options.appearance.place(context, rect.width, rect.height, options.signingTime!) }));
    }
    if (target.widgetRef === target.fieldRef) {
      widget.set(PDFName.of('V'), signatureRef);
    } else {
      const field = target.field.clone(context);
      field.set(PDFName.of('V'), signatureRef);
      update.set(target.fieldRef, field);
    }
    update.set(target.widgetRef, widget);
    fieldName = target.name;
  } else {
    const names = new Set(fields.map((f) => f.name));
    fieldName = options.name ?? 'Signature1';
    for (let n = 2; names.has(fieldName); n++) fieldName = `${(options.name ?? 'Signature1').replace(/\d+$/, '')}${n}`;
    const page = placement ? pageAt(doc, placement.page) : doc.getPage(0);
    const rect = placement ? checkRect(page, placement.page, placement.rect) : [0, 0, 0, 0];
    const widgetRef = update.allocate();
    const widget = context.obj({
      Type: 'Annot',
      Subtype: 'Widget',
      FT: 'Sig',
      T: PDFString.of(fieldName),
      V: signatureRef,
      F: 132, // Print + Locked
      Rect: rect,
      P: page.ref,
    });
    const width = rect[2]! - rect[0]!;
    const height = rect[3]! - rect[1]!;
    if (options.appearance && width > 0 && height > 0) {
      widget.set(PDFName.of('AP'), context.obj({ N: options.appearance.place(context, width, height, options.signingTime!) }));
    }
    update.set(widgetRef, widget);
    formDict.set(PDFName.of('Fields'), appended(fieldsArray, widgetRef, update));
    // The page's Annots: an indirect array is rewritten in place, a direct one with the page.
    const annots = page.node.get(PDFName.of('Annots'));
    if (annots instanceof PDFRef) {
      update.set(annots, appended(context.lookup(annots, PDFArray), widgetRef, update));
    } else {
      const pageDict = page.node.clone(context);
      pageDict.set(PDFName.of('Annots'), appended(annots instanceof PDFArray ? annots : undefined, widgetRef, update));
      update.set(page.ref, pageDict);
    }
  }

  formDict.set(PDFName.of('SigFlags'), PDFNumber.of(3));
  if (acroForm instanceof PDFRef) {
    update.set(acroForm, formDict);
  } else {
    const formRef = update.allocate();
    update.set(formRef, formDict);
    catalog.set(PDFName.of('AcroForm'), formRef);
    catalogChanged = true;
  }
  if (options.certify) {
    catalog.set(PDFName.of('Perms'), context.obj({ DocMDP: signatureRef }));
    catalogChanged = true;
  }
  if (catalogChanged) update.set(update.catalogRef, catalog);
  return fieldName;
}

/** Every terminal signature field (ISO 32000-1 §12.7.3.1: names joined by "."), with its first widget. */
function signatureFields(doc: PDFDocument, fields: PDFArray | undefined): SignatureField[] {
  const context = doc.context;
  const out: SignatureField[] = [];
  const visit = (ref: PDFObject, parentName: string | undefined, inheritedType: string | undefined, depth: number) => {
    const dict = context.lookupMaybe(ref, PDFDict);
    if (!dict || !(ref instanceof PDFRef) || depth > 32) return;
    const title = dict.get(PDFName.of('T'));
    const partial = title instanceof PDFString || title instanceof PDFHexString ? title.decodeText() : undefined;
    const name = partial === undefined ? parentName : parentName ? `${parentName}.${partial}` : partial;
    const ft = dict.get(PDFName.of('FT'));
    const type = ft instanceof PDFName ? ft.decodeText() : inheritedType;
    const kids = context.lookupMaybe(dict.get(PDFName.of('Kids')), PDFArray);
    const kidRefs = kids ? kids.asArray() : [];
    const childFields = kidRefs.filter((k) => context.lookupMaybe(k, PDFDict)?.has(PDFName.of('T')));
    if (childFields.length) {
      for (const kid of childFields) visit(kid, name, type, depth + 1);
      return;
    }
    if (name === undefined) return;
    if (type !== 'Sig') {
      out.push({ name, fieldRef: ref, field: dict, widgetRef: ref, widget: dict, state: 'other' });
      return;
    }
    const widgetRef = dict.get(PDFName.of('Subtype'))?.toString() === '/Widget' ? ref : kidRefs.find((k) => k instanceof PDFRef);
    const widget = widgetRef && context.lookupMaybe(widgetRef, PDFDict);
    if (!(widgetRef instanceof PDFRef) || !widget) return;
    out.push({ name, fieldRef: ref, field: dict, widgetRef, widget, state: dict.has(PDFName.of('V')) ? 'signed' : 'empty' });
  };
  for (const ref of fields?.asArray() ?? []) visit(ref, undefined, undefined, 0);
  return out;
}

/** The page numbered `page` (1-based; negative counts from the end). */
function pageAt(doc: PDFDocument, page: number): PDFPage {
  const count = doc.getPageCount();
  const index = page > 0 ? page - 1 : count + page;
  if (!Number.isInteger(page) || page === 0 || index < 0 || index >= count) {
    throw new PdfError(`page ${page} does not exist: the PDF has ${count} page${count === 1 ? '' : 's'}`, 'visible.page');
  }
  return doc.getPage(index);
}

/** The rectangle, which must have an area and lie on the page's media box. */
function checkRect(page: PDFPage, number: number, rect: readonly [number, number, number, number]): number[] {
  const [x1, y1, x2, y2] = rect;
  if (!(x2 > x1 && y2 > y1)) throw new PdfError('the rectangle must be [x1, y1, x2, y2] with x1 < x2 and y1 < y2', 'visible.rect');
  const box = page.getMediaBox();
  if (x1 < box.x || y1 < box.y || x2 > box.x + box.width || y2 > box.y + box.height) {
    throw new PdfError(
      `the rectangle [${rect.join(', ')}] is off page ${number} ([${box.x}, ${box.y}, ${box.x + box.width}, ${box.y + box.height}])`,
      'visible.rect',
    );
  }
  return [x1, y1, x2, y2];
}

/** A widget's /Rect as a size. */
function rectOf(widget: PDFDict): { width: number; height: number } {
  const rect = widget.lookupMaybe(PDFName.of('Rect'), PDFArray);
  const n = (i: number) => {
    const v = rect?.lookupMaybe(i, PDFNumber);
    return v ? v.asNumber() : 0;
  };
  return { width: Math.abs(n(2) - n(0)), height: Math.abs(n(3) - n(1)) };
}

/** A copy of `array` (or a new array) with `ref` appended. */
function appended(array: PDFArray | undefined, ref: PDFRef, update: IncrementalUpdate): PDFArray {
  const copy = PDFArray.withContext(update.doc.context);
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
