import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { Scratch } from '../support/scratch.js';

/** RGB pixels of a rendered region. */
export interface Raster {
  readonly width: number;
  readonly height: number;
  /** RGB, row by row from the top. */
  readonly rgb: Buffer;
}

/**
 * Renders `rect` ([x1, y1, x2, y2] in PDF points from the bottom-left) of a page with pdftoppm at
 * `dpi` (stack-notes.md: a PPM is `P6 W H 255` then RGB bytes, y counted from the top).
 */
export function renderRegion(tmp: Scratch, pdf: string, page: number, rect: readonly number[], dpi = 144): Raster {
  const out = `render-${page}-${rect.join('_')}`;
  const run = tmp.run('pdftoppm', ['-r', String(dpi), '-singlefile', '-f', String(page), '-l', String(page), pdf, out]);
  if (!run.ok) throw new Error(`pdftoppm: ${run.output}`);
  const ppm = readFileSync(tmp.file(`${out}.ppm`));
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.toString('latin1', 0, 40))!;
  const width = Number(header[1]);
  const pixels = ppm.subarray(header[0].length);
  const scale = dpi / 72;
  const pageHeight = Number(header[2]) / scale;
  const [x1, y1, x2, y2] = rect.map((v) => v);
  const left = Math.round(x1! * scale);
  const top = Math.round((pageHeight - y2!) * scale);
  const w = Math.round((x2! - x1!) * scale);
  const h = Math.round((y2! - y1!) * scale);
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) pixels.copy(rgb, y * w * 3, ((top + y) * width + left) * 3, ((top + y) * width + left + w) * 3);
  return { width: w, height: h, rgb };
}

/** The share of pixels that are not (near) white. */
export function inkRatio(raster: Raster): number {
  let ink = 0;
  for (let i = 0; i < raster.rgb.length; i += 3) if (raster.rgb[i]! + raster.rgb[i + 1]! + raster.rgb[i + 2]! < 600) ink++;
  return ink / (raster.width * raster.height);
}

/**
 * How far a raster is from a reference PNG of the same size: the pixels that differ clearly (by more
 * than 96 in a channel), as a share of the reference's inked pixels. The same poppler renders the
 * same pixels (0); one dot below missing from four lines of text is 0.1%.
 */
export function difference(raster: Raster, referencePng: Buffer): number {
  const reference = PNG.sync.read(referencePng);
  if (reference.width !== raster.width || reference.height !== raster.height) return Infinity;
  let differing = 0;
  let ink = 0;
  for (let p = 0; p < raster.width * raster.height; p++) {
    let worst = 0;
    for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(raster.rgb[p * 3 + c]! - reference.data[p * 4 + c]!));
    if (worst > 96) differing++;
    if (reference.data[p * 4]! + reference.data[p * 4 + 1]! + reference.data[p * 4 + 2]! < 600) ink++;
  }
  return differing / Math.max(ink, 1);
}

/** A raster as PNG (to store as a reference, and to look at). */
export function toPng(raster: Raster): Buffer {
  const png = new PNG({ width: raster.width, height: raster.height });
  for (let p = 0; p < raster.width * raster.height; p++) {
    png.data.set([raster.rgb[p * 3]!, raster.rgb[p * 3 + 1]!, raster.rgb[p * 3 + 2]!, 255], p * 4);
  }
  return PNG.sync.write(png, { colorType: 2 });
}
