import { exportCertificatesPage } from '../db/certificates-repo.js';
import { toPem } from '../pki/pem.js';
import { cell } from '../shared/csv.js';
import type { CliContext } from './context.js';
import { openOutput } from './output.js';

const PAGE = 1000;
const CSV_HEADER = 'serial,subject,issuer,holder,medium,organization,status,not_before,not_after,source,fingerprint_sha256\n';

/**
 * `kyso export certificates`: every certificate kyso records, as CSV (one row each, the
 * organization by its code) or as concatenated PEM (certificates without DER, such as demo rows,
 * are left out of PEM). Written page by page, so memory stays flat at millions of rows.
 */
export async function exportCertificates(ctx: CliContext, format: 'csv' | 'pem', out: string | undefined): Promise<number> {
  const output = await openOutput(out);
  let count = 0;
  try {
    if (format === 'csv') await output.write(CSV_HEADER);
    let after: string | undefined;
    for (;;) {
      const rows = await exportCertificatesPage(ctx.services.knex, after, PAGE);
      if (rows.length === 0) break;
      const text =
        format === 'csv'
          ? rows
              .map((r) =>
                [r.serial, r.subject_dn, r.issuer_dn, r.holder, r.medium, r.organization_code ?? '', r.status, iso(r.not_before), iso(r.not_after), r.source, r.fingerprint]
                  .map((v) => cell(v ?? ''))
                  .join(','),
              )
              .join('\n') + '\n'
          : rows.filter((r) => r.der && r.der.length).map((r) => toPem(r.der, 'CERTIFICATE')).join('');
      count += format === 'csv' ? rows.length : rows.filter((r) => r.der && r.der.length).length;
      await output.write(text);
      after = rows[rows.length - 1]!.id;
    }
  } finally {
    await output.close();
  }
  return count;
}

const iso = (d: Date | string) => new Date(d).toISOString();
