import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream, PDFRef, PDFString, PDFHexString, type PDFObject, type PDFPage } from 'pdf-lib';

/** What changed in a PDF after a signed revision (api.md `modifiedAfter`). */
export type Modification = 'none' | 'signatures' | 'annotations' | 'content';

/** The structure of a signed PDF that its signatures' byte ranges alone do not tell. */
export interface PdfStructure {
  /** Signature field names by ByteRange (`"a b c d"`). */
  readonly fieldNames: ReadonlyMap<string, string>;
  /**
   * The Document Security Store (PAdES-B-LT, ETSI EN 319 142-1 §5.4.2): its certificates (DER, at
   * most MAX_DSS_CERTIFICATES), and how many CRLs and OCSP responses it holds — counted, not read,
   * as nothing uses them as revocation data.
   */
  readonly dss?: { certificates: Buffer[]; crlCount: number; ocspCount: number; vriKeys: Set<string> };
  /** What changed after the revision ending at each given offset; absent for a revision not compared (MAX_COMPARED_REVISIONS). */
  readonly modifiedAfter: ReadonlyMap<number, Modification>;
}

/**
 * Signed revisions compared with the final one, the latest first. Each comparison is a full
 * pdf-lib parse of the file up to that revision, and a crafted file can hold hundreds of
 * /ByteRange dictionaries; documents carry a few signatures and document time-stamps.
 */
const MAX_COMPARED_REVISIONS = 16;
/** DSS certificates read: far more than the chains of a document's signers and time-stamps. */
const MAX_DSS_CERTIFICATES = 256;
/** Largest decoded DSS certificate: streams are inflated only this far (a deflate bomb stops here). */
const MAX_CERTIFICATE_BYTES = 64 * 1024;

/**
 * Reads the signature fields, the DSS, and compares each signed revision (the file up to the end
 * of a signature's ByteRange) with the final one: pages added or removed, a page's content streams
 * or resources changed → `content`; annotations added other than signature widgets → `annotations`;
 * only signatures, time-stamps and the DSS → `signatures`. Only the latest MAX_COMPARED_REVISIONS
 * revisions that end before the file does are compared. Undefined when pdf-lib cannot read it.
 */
export async function analysePdf(pdf: Buffer, revisionEnds: number[]): Promise<PdfStructure | undefined> {
  let final: PDFDocument;
  try {
    final = await PDFDocument.load(pdf, { ignoreEncryption: true, updateMetadata: false });
  } catch {
    return undefined;
  }
  const modifiedAfter = new Map<number, Modification>();
  const updated: number[] = [];
  for (const end of new Set(revisionEnds)) {
    if (end >= pdf.length || /^\s*$/.test(pdf.toString('latin1', end))) modifiedAfter.set(end, 'none');
    else updated.push(end);
  }
  for (const end of updated.sort((a, b) => b - a).slice(0, MAX_COMPARED_REVISIONS)) {
    try {
      const revision = await PDFDocument.load(pdf.subarray(0, end), { ignoreEncryption: true, updateMetadata: false });
      modifiedAfter.set(end, compare(revision, final));
    } catch {
      modifiedAfter.set(end, 'content');
    }
  }
  try {
    return { fieldNames: fieldNames(final), ...dssOf(final), modifiedAfter };
  } catch {
    return { fieldNames: new Map(), modifiedAfter };
  }
}

function compare(revision: PDFDocument, final: PDFDocument): Modification {
  const before = revision.getPages();
  const after = final.getPages();
  if (before.length !== after.length) return 'content';
  let verdict: Modification = 'none';
  for (let i = 0; i < after.length; i++) {
    if (pageContent(before[i]!) !== pageContent(after[i]!)) return 'content';
    const old = new Set(annotationRefs(before[i]!));
    for (const ref of annotationRefs(after[i]!)) {
      if (old.has(ref)) continue;
      const annotation = final.context.lookupMaybe(PDFRef.of(Number(ref.split(' ')[0]), Number(ref.split(' ')[1])), PDFDict);
      verdict = annotation && isSignatureWidget(final, annotation) ? (verdict === 'none' ? 'signatures' : verdict) : 'annotations';
    }
  }
  // A document time-stamp or DSS without a new widget on a page is still only signatures.
  return verdict === 'none' ? 'signatures' : verdict;
}

/** A page as drawn: its dictionary but /Annots, its content streams' bytes and its resources, one level deep. */
function pageContent(page: PDFPage): string {
  const node = page.node;
  const context = node.context;
  const parts: string[] = [];
  for (const [key, value] of node.entries()) {
    if (key.decodeText() === 'Annots' || key.decodeText() === 'Parent') continue;
    parts.push(`${key.toString()} ${deep(context, value, 2)}`);
  }
  return parts.join('\n');
}

function deep(context: PDFDocument['context'], value: PDFObject, depth: number): string {
  const resolved = value instanceof PDFRef ? context.lookup(value) : value;
  if (resolved instanceof PDFRawStream) return `${resolved.dict.toString()} ${Buffer.from(resolved.contents).toString('base64')}`;
  if (depth <= 0 || !resolved) return String(resolved);
  if (resolved instanceof PDFArray) return `[${resolved.asArray().map((v) => deep(context, v, depth - 1)).join(' ')}]`;
  if (resolved instanceof PDFDict) return `<<${[...resolved.entries()].map(([k, v]) => `${k.toString()} ${deep(context, v, depth - 1)}`).join(' ')}>>`;
  return resolved.toString();
}

function annotationRefs(page: PDFPage): string[] {
  const annots = page.node.lookupMaybe(PDFName.of('Annots'), PDFArray);
  return (annots?.asArray() ?? []).map((a) => a.toString().replace(/ R$/, ''));
}

function isSignatureWidget(doc: PDFDocument, annotation: PDFDict): boolean {
  for (let dict: PDFDict | undefined = annotation, depth = 0; dict && depth < 8; depth++) {
    const ft = dict.get(PDFName.of('FT'));
    if (ft instanceof PDFName) return ft.decodeText() === 'Sig';
    dict = doc.context.lookupMaybe(dict.get(PDFName.of('Parent')), PDFDict);
  }
  return false;
}

function fieldNames(doc: PDFDocument): Map<string, string> {
  const names = new Map<string, string>();
  const form = doc.context.lookupMaybe(doc.catalog.get(PDFName.of('AcroForm')), PDFDict);
  const visit = (ref: PDFObject, parent: string | undefined, depth: number) => {
    const dict = doc.context.lookupMaybe(ref, PDFDict);
    if (!dict || depth > 32) return;
    const t = dict.get(PDFName.of('T'));
    const partial = t instanceof PDFString || t instanceof PDFHexString ? t.decodeText() : undefined;
    const name = partial === undefined ? parent : parent ? `${parent}.${partial}` : partial;
    const value = doc.context.lookupMaybe(dict.get(PDFName.of('V')), PDFDict);
    const range = value?.lookupMaybe(PDFName.of('ByteRange'), PDFArray);
    if (range && name) names.set(range.asArray().map((n) => (n instanceof PDFNumber ? n.asNumber() : NaN)).join(' '), name);
    for (const kid of doc.context.lookupMaybe(dict.get(PDFName.of('Kids')), PDFArray)?.asArray() ?? []) visit(kid, name, depth + 1);
  };
  for (const ref of doc.context.lookupMaybe(form?.get(PDFName.of('Fields')), PDFArray)?.asArray() ?? []) visit(ref, undefined, 0);
  return names;
}

function dssOf(doc: PDFDocument): Pick<PdfStructure, 'dss'> {
  const dss = doc.context.lookupMaybe(doc.catalog.get(PDFName.of('DSS')), PDFDict);
  if (!dss) return {};
  const streams = (key: string) =>
    (doc.context.lookupMaybe(dss.get(PDFName.of(key)), PDFArray)?.asArray() ?? []).flatMap((ref) => {
      const stream = doc.context.lookup(ref);
      return stream instanceof PDFRawStream ? [stream] : [];
    });
  const vri = doc.context.lookupMaybe(dss.get(PDFName.of('VRI')), PDFDict);
  return {
    dss: {
      certificates: streams('Certs').slice(0, MAX_DSS_CERTIFICATES).flatMap((stream) => certificateBytes(stream) ?? []),
      crlCount: streams('CRLs').length,
      ocspCount: streams('OCSPs').length,
      vriKeys: new Set((vri ? [...vri.keys()] : []).map((k) => k.decodeText().toUpperCase())),
    },
  };
}

/** A DSS certificate stream's decoded bytes; undefined when it cannot be decoded or is larger than MAX_CERTIFICATE_BYTES. */
function certificateBytes(stream: PDFRawStream): Buffer | undefined {
  try {
    const bytes = decodePDFRawStream(stream).getBytes(MAX_CERTIFICATE_BYTES + 1);
    return bytes.length > MAX_CERTIFICATE_BYTES ? undefined : Buffer.from(bytes);
  } catch {
    return undefined;
  }
}
