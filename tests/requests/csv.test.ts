import { describe, expect, it } from 'vitest';
import { BadRequest } from '../../src/errors.js';
import { requestsFromCsv } from '../../src/requests/csv.js';
import { parseCsvRecords } from '../../src/shared/csv.js';

describe('batch CSV', () => {
  it('parses RFC 4180: quotes, doubled quotes, embedded commas and newlines, CRLF, a BOM, blank lines', () => {
    expect(parseCsvRecords('\ufeffa,b\r\n"x, y","say ""hi"""\n\n"multi\nline",\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', ''],
    ]);
    expect(() => parseCsvRecords('a\n"open')).toThrow(BadRequest);
  });

  it('turns rows into request objects: kind defaults to new, uid splits on ;, \\n escapes in csr', () => {
    const rows = requestsFromCsv('holder,medium,organizationId,commonName,uid,csr,kind,certificateSerial\nindividual,token,o1,Hà,MST:0100686209; CCCD:001203004567,-----BEGIN X-----\\nAAAA\\n-----END X-----,,\n,,,,,,revoke,abc');
    expect(rows).toEqual([
      { kind: 'new', holder: 'individual', medium: 'token', organizationId: 'o1', subject: { commonName: 'Hà', uid: ['MST:0100686209', 'CCCD:001203004567'] }, csr: '-----BEGIN X-----\nAAAA\n-----END X-----' },
      { kind: 'revoke', certificateSerial: 'abc' },
    ]);
  });

  it('refuses unknown columns and an empty text', () => {
    expect(() => requestsFromCsv('holder,colour\nindividual,red')).toThrow(/colour/);
    expect(() => requestsFromCsv('')).toThrow(BadRequest);
  });
});
