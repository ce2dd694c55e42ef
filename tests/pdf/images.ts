import { PNG } from 'pngjs';

/** A PNG of `width` × `height` drawn by `paint` (RGBA per pixel), with an optional pHYs in pixels per metre. */
function png(width: number, height: number, paint: (x: number, y: number) => [number, number, number, number], ppm?: number): Buffer {
  const image = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) image.data.set(paint(x, y), (y * width + x) * 4);
  }
  const bytes = PNG.sync.write(image);
  if (!ppm) return bytes;
  // pHYs goes before IDAT: after the 8-byte signature and the 25-byte IHDR chunk.
  const data = Buffer.alloc(9);
  data.writeUInt32BE(ppm, 0);
  data.writeUInt32BE(ppm, 4);
  data[8] = 1;
  const chunk = Buffer.concat([Buffer.alloc(4), Buffer.from('pHYs'), data, Buffer.alloc(4)]);
  chunk.writeUInt32BE(9, 0);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 17)), 17);
  return Buffer.concat([bytes.subarray(0, 33), chunk, bytes.subarray(33)]);
}

function crc32(bytes: Buffer): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** A blue handwritten-looking stroke on a transparent background, 3:1. */
export function signaturePng(): Buffer {
  return png(300, 100, (x, y) => {
    const curve = 50 + 30 * Math.sin(x / 25);
    return Math.abs(y - curve) < 4 ? [20, 40, 200, 255] : [0, 0, 0, 0];
  });
}

/** A red seal: a ring and a star-less disc border, 400 px at 10,000 px/m (40 mm across). */
export function sealPng(): Buffer {
  return png(
    400,
    400,
    (x, y) => {
      const r = Math.hypot(x - 200, y - 200);
      return (r > 180 && r < 198) || (r > 120 && r < 128) || r < 20 ? [220, 20, 30, 255] : [0, 0, 0, 0];
    },
    10_000,
  );
}
