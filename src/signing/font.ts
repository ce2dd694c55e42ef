import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let font: Buffer | undefined;

/**
 * The font of visible signatures: DejaVu Sans (npm `dejavu-fonts-ttf`), which has every
 * Vietnamese letter precomposed (ắ, ờ, ự…); each signature embeds only the glyphs it shows.
 */
export function appearanceFont(): Buffer {
  font ??= readFileSync(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'));
  return font;
}
