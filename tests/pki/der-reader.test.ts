import { describe, expect, it } from 'vitest';
import { oid } from '../../src/pki/der.js';
import { children, content, DerError, readBer, readOid, readTlv, readWhole } from '../../src/pki/der-reader.js';

describe('the DER reader', () => {
  it('decodes OIDs whose arcs cross 2^46 and 2^53, and UUID arcs, as the encoder wrote them', () => {
    for (const dotted of [
      '1.2.840.113549.1.1.11',
      '0.9.2342.19200300.100.1.1',
      '2.5.29.19',
      '2.999.3',
      `1.2.${2 ** 46 - 1}.${2 ** 46}.${2 ** 46 + 1}`,
      `1.3.${2n ** 53n + 1n}.7`,
      '2.25.329800735698586629295641978511506172918',
    ]) {
      expect(readOid(readWhole(oid(dotted)))).toBe(dotted);
    }
  });

  it('refuses indefinite and non-minimal lengths under DER and takes them under BER', () => {
    // SEQUENCE (indefinite) { OCTET STRING (constructed, indefinite) { "ab", "c" } } — as `openssl cms -stream` writes
    const ber = Buffer.from([0x30, 0x80, 0x24, 0x80, 0x04, 0x02, 0x61, 0x62, 0x04, 0x01, 0x63, 0x00, 0x00, 0x00, 0x00]);
    expect(() => readWhole(ber)).toThrow(DerError);
    const [string] = children(readBer(ber));
    expect(children(string!).map((s) => content(s).toString())).toEqual(['ab', 'c']);
    const nonMinimal = Buffer.from([0x04, 0x81, 0x01, 0x61]);
    expect(() => readWhole(nonMinimal)).toThrow(/non-minimal/);
    expect(content(readTlv(nonMinimal, 0, nonMinimal.length, 'ber')).toString()).toBe('a');
  });
});
