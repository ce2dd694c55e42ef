import { describe, expect, it } from 'vitest';
import { extractPdfSignatures } from '../../src/pki/verify/pdf.js';

/** A file whose signature dictionary has /M after a /Contents hole of `holeBytes` bytes. */
function withLateM(holeBytes: number, inline = false): Buffer {
  const hole = '0'.repeat(holeBytes * 2);
  const sig = `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 0 0 0] /Contents <${hole}> /Name (a \\) (nested) string) /M (D:20261123070509+00'00') >>`;
  const body = inline
    ? `%PDF-1.7\n5 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /M (D:19990101000000Z) /V ${sig} >>\nendobj\n`
    : `%PDF-1.7\n5 0 obj\n${sig}\nendobj\n6 0 obj\n<< /M (D:19990101000000Z) >>\nendobj\n`;
  return Buffer.from(body, 'latin1');
}

describe('signature dictionaries (signingTime from /M)', () => {
  it('finds /M written after a /Contents hole far larger than 20,000 characters', () => {
    const [signature] = extractPdfSignatures(withLateM(33_000));
    expect(signature!.signingTime?.toISOString()).toBe('2026-11-23T07:05:09.000Z');
    expect(signature!.subFilter).toBe('ETSI.CAdES.detached');
  });

  it('reads the signature dictionary itself, not the widget around it (which has its own /M)', () => {
    const [signature] = extractPdfSignatures(withLateM(16_384, true));
    expect(signature!.signingTime?.toISOString()).toBe('2026-11-23T07:05:09.000Z');
  });
});
