import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { PDFDocument, PDFObjectCopier, type PDFContext, type PDFFont, type PDFImage, type PDFObject, type PDFRef } from 'pdf-lib';

/** Whose signature it is: a person's (handwritten signature image) or an organization's (its seal). */
export type AppearanceHolder = 'individual' | 'organization';

/** What a visible signature shows (Decree 30/2020 Appendix I; product.md "How … schools sign"). */
export interface AppearanceInput {
  readonly holder: AppearanceHolder;
  /** The signer's name (the certificate's CN). */
  readonly signerName: string;
  readonly organizationName: string;
  /** PNG: the person's handwritten signature, or the organization's seal. */
  readonly image?: Uint8Array;
  readonly reason?: string;
  readonly location?: string;
}

/** A PNG that cannot be used as a signature image. */
export class AppearanceImageError extends Error {}

/** Seals without a pHYs chunk are drawn 40 mm across, the common size of a Vietnamese agency's seal. */
const DEFAULT_SEAL_MM = 40;
const POINTS_PER_MM = 72 / 25.4;
const MAX_FONT_SIZE = 10;
const MIN_FONT_SIZE = 3;
const LINE_HEIGHT = 1.25;
const PADDING = 2;
/** Characters of the signing time (ISO 8601 with +07:00), kept in the font subset for every document. */
const TIME_CHARACTERS = '0123456789-:+T';

/**
 * A visible signature's appearance, prepared once and placed in many documents: a scratch PDF
 * holds the font (subsetted to the glyphs these texts need, so a batch of 1,000 PDFs parses the
 * font once) and the image; `place` copies them into a document and writes the form XObject
 * that is the widget's normal appearance (ISO 32000-1 §12.5.5).
 */
export class SignatureAppearance {
  /**
   * The last content stream placed, deflated, with what it depends on: the documents of a sign job
   * share it until the shown time turns to the next second (laying out the text with fontkit cost
   * ~5 ms per document, more than parsing it).
   */
  private lastContent: { key: string; deflated: Uint8Array } | undefined;

  private constructor(
    private readonly scratch: PDFDocument,
    private readonly font: PDFFont,
    private readonly image: PDFImage | undefined,
    /** The image's real size in points (seal), from its pHYs chunk. */
    private readonly imageSize: { width: number; height: number } | undefined,
    readonly input: AppearanceInput,
  ) {}

  /** Embeds `fontBytes` (a TrueType font with Vietnamese glyphs) and the image; throws AppearanceImageError for a bad PNG. */
  static async create(fontBytes: Uint8Array, input: AppearanceInput): Promise<SignatureAppearance> {
    const scratch = await PDFDocument.create({ updateMetadata: false });
    // fontkit is loaded when a first appearance is made, not at start-up (~0.4 s of CPU, issue #12).
    scratch.registerFontkit((await import('@pdf-lib/fontkit')).default);
    let image: PDFImage | undefined;
    let imageSize: { width: number; height: number } | undefined;
    if (input.image) {
      image = await embedPng(scratch, input.image);
      imageSize = realSize(input.image, image.width, image.height);
    }
    const shown = [...textsOf(input, Boolean(image), new Date(0)), TIME_CHARACTERS].join('');
    // A subset font's name carries a six-letter tag (ISO 32000-1 §9.6.4), here derived from the
    // glyphs it holds, so the same appearance always yields the same bytes.
    const tag = [...createHash('sha256').update(shown).digest().subarray(0, 6)].map((b) => String.fromCharCode(65 + (b % 26))).join('');
    const font = await scratch.embedFont(fontBytes, { subset: true, customName: `${tag}+DejaVuSans` });
    const appearance = new SignatureAppearance(scratch, font, image, imageSize, input);
    // The subset is fixed when embedded: every text this appearance can show is encoded first.
    font.encodeText(shown);
    await font.embed();
    await image?.embed();
    return appearance;
  }

  /** The lines of text the appearance shows at `signingTime`. */
  texts(signingTime: Date): string[] {
    return textsOf(this.input, Boolean(this.image), signingTime);
  }

  /**
   * The appearance's content stream for a `width` × `height` widget: the person's image fitted
   * (aspect kept, centred); or the seal at its real size at the left, over about the left third,
   * with the organization's name and the signing time beside it; or text alone.
   */
  content(width: number, height: number, signingTime: Date): string {
    const ops: string[] = [];
    let textArea = { x: PADDING, y: PADDING, width: width - 2 * PADDING, height: height - 2 * PADDING };
    if (this.image) {
      const natural = this.imageSize ?? { width: this.image.width, height: this.image.height };
      let box: { x: number; y: number; width: number; height: number };
      if (this.input.holder === 'organization') {
        // Real size, shrunk only when the widget cannot hold it (at most its height and half its width).
        const scale = Math.min(1, height / natural.height, width / 2 / natural.width);
        const w = natural.width * scale;
        const h = natural.height * scale;
        box = { x: 0, y: (height - h) / 2, width: w, height: h };
        textArea = { x: w + PADDING * 2, y: PADDING, width: width - w - PADDING * 3, height: height - 2 * PADDING };
      } else {
        const scale = Math.min(width / natural.width, height / natural.height);
        const w = natural.width * scale;
        const h = natural.height * scale;
        box = { x: (width - w) / 2, y: (height - h) / 2, width: w, height: h };
      }
      ops.push('q', `${num(box.width)} 0 0 ${num(box.height)} ${num(box.x)} ${num(box.y)} cm`, '/Img Do', 'Q');
    }
    const lines = this.texts(signingTime);
    if (lines.length && textArea.width > 0 && textArea.height > 0) ops.push(...this.textOps(lines, textArea));
    return `${ops.join('\n')}\n`;
  }

  /** Operators drawing `lines`, word-wrapped at the largest size (≤ 10 pt) that fits the area. */
  private textOps(lines: string[], area: { x: number; y: number; width: number; height: number }): string[] {
    // Each size tried measures mostly the same strings again: fontkit lays each out once (widths
    // scale with the size exactly as pdf-lib computes them: width at 1000 × size / 1000).
    const widths = new Map<string, number>();
    const width = (text: string, size: number) => {
      let at1000 = widths.get(text);
      if (at1000 === undefined) widths.set(text, (at1000 = this.font.widthOfTextAtSize(text, 1000)));
      return at1000 * (size / 1000);
    };
    let size = MAX_FONT_SIZE;
    let wrapped = wrap(lines, area.width, size, width);
    // Smaller until the block fits: its height, and its widest line (a time cannot wrap).
    const fits = () => wrapped.length * size * LINE_HEIGHT <= area.height && wrapped.every((line) => width(line, size) <= area.width);
    while (size > MIN_FONT_SIZE && !fits()) {
      size = Math.round((size - 0.5) * 10) / 10;
      wrapped = wrap(lines, area.width, size, width);
    }
    const block = wrapped.length * size * LINE_HEIGHT;
    // Vertically centred; the first baseline one ascent below the block's top.
    let baseline = area.y + (area.height + block) / 2 - size;
    const ops = ['BT', `/F1 ${num(size)} Tf`, '0.1 0.1 0.35 rg'];
    for (const line of wrapped) {
      ops.push(`1 0 0 1 ${num(area.x)} ${num(baseline)} Tm`, `${this.font.encodeText(line).toString()} Tj`);
      baseline -= size * LINE_HEIGHT;
    }
    ops.push('ET');
    return ops;
  }

  /**
   * Writes the appearance into `context` for a widget of `width` × `height` points: copies the
   * font and image into the document and registers the form XObject.
   */
  place(context: PDFContext, width: number, height: number, signingTime: Date): PDFRef {
    const copier = PDFObjectCopier.for(this.scratch.context, context);
    const copy = (ref: PDFRef) => context.register(copier.copy(this.scratch.context.lookup(ref) as PDFObject));
    const resources: { Font: { F1: PDFRef }; XObject?: { Img: PDFRef } } = { Font: { F1: copy(this.font.ref) } };
    if (this.image) resources.XObject = { Img: copy(this.image.ref) };
    const key = `${num(width)} ${num(height)} ${vietnamTime(signingTime)}`;
    if (this.lastContent?.key !== key) this.lastContent = { key, deflated: deflate(this.content(width, height, signingTime)) };
    const stream = context.stream(this.lastContent.deflated, {
      Type: 'XObject',
      Subtype: 'Form',
      BBox: [0, 0, Number(num(width)), Number(num(height))],
      Resources: resources,
      Filter: 'FlateDecode',
    });
    return context.register(stream);
  }
}

/** The lines of text an appearance shows: an organization's name and the time beside its seal, or a person's text when there is no image. */
function textsOf(input: AppearanceInput, hasImage: boolean, signingTime: Date): string[] {
  const { holder, signerName, organizationName, reason, location } = input;
  const time = vietnamTime(signingTime);
  // NFC: the font's precomposed Vietnamese glyphs (ắ, ữ…) rather than base letters and combining marks.
  if (holder === 'organization') return [organizationName.normalize('NFC'), time];
  if (hasImage) return [];
  return [
    `Ký bởi: ${signerName}`,
    `Cơ quan: ${organizationName}`,
    `Thời gian ký: ${time}`,
    ...(reason ? [`Lý do: ${reason}`] : []),
    ...(location ? [`Nơi ký: ${location}`] : []),
  ].map((line) => line.normalize('NFC'));
}

/** `lines` broken between words so that each fits `maxWidth` at `size` (a single long word stays whole). */
function wrap(lines: string[], maxWidth: number, size: number, width: (text: string, size: number) => number): string[] {
  const out: string[] = [];
  for (const line of lines) {
    let current = '';
    for (const word of line.split(' ')) {
      const candidate = current ? `${current} ${word}` : word;
      if (current && width(candidate, size) > maxWidth) {
        out.push(current);
        current = word;
      } else current = candidate;
    }
    out.push(current);
  }
  return out;
}

/** A signing time as Decree 30/2020 shows it: ISO 8601 in Vietnam's time, `2026-11-23T14:05:09+07:00`. */
export function vietnamTime(date: Date): string {
  return `${new Date(date.getTime() + 7 * 3_600_000).toISOString().slice(0, 19)}+07:00`;
}

/** Checks that `png` is a PNG pdf-lib can embed; throws AppearanceImageError otherwise. */
export async function checkPng(png: Uint8Array): Promise<{ width: number; height: number }> {
  const scratch = await PDFDocument.create({ updateMetadata: false });
  const image = await embedPng(scratch, png);
  return { width: image.width, height: image.height };
}

async function embedPng(doc: PDFDocument, png: Uint8Array): Promise<PDFImage> {
  if (!Buffer.from(png.subarray(0, 8)).equals(PNG_SIGNATURE)) throw new AppearanceImageError('the image is not a PNG');
  try {
    return await doc.embedPng(png);
  } catch (err) {
    throw new AppearanceImageError(`the PNG cannot be read: ${(err as Error).message}`);
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The physical size of a PNG in points from its pHYs chunk (pixels per metre, PNG spec §11.3.5.3);
 * without one, the longer side is taken as DEFAULT_SEAL_MM.
 */
export function realSize(png: Uint8Array, width: number, height: number): { width: number; height: number } {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    if (type === 'pHYs' && length >= 9 && bytes[at + 16] === 1) {
      const x = bytes.readUInt32BE(at + 8);
      const y = bytes.readUInt32BE(at + 12);
      if (x > 0 && y > 0) return { width: (width / x) * 1000 * POINTS_PER_MM, height: (height / y) * 1000 * POINTS_PER_MM };
    }
    if (type === 'IDAT' || type === 'IEND') break;
    at += 12 + length;
  }
  const scale = (DEFAULT_SEAL_MM * POINTS_PER_MM) / Math.max(width, height);
  return { width: width * scale, height: height * scale };
}

function deflate(content: string): Uint8Array {
  return deflateSync(Buffer.from(content, 'latin1'));
}

/** A number for a content stream: at most two decimals, no trailing zeros. */
function num(n: number): string {
  return String(Math.round(n * 100) / 100);
}
