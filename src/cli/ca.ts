import { countCertificatesByIssuerCa } from '../db/certificates-repo.js';
import { isTokenRef } from '../keys/vault.js';
import type { CliContext } from './context.js';

/** `kyso ca status`: one line per CA and service identity, the current issuing CA marked. */
export async function caStatus(ctx: CliContext): Promise<string> {
  const { authorities, knex } = ctx.services;
  const counts = await countCertificatesByIssuerCa(knex);
  const current = authorities.all().find((a) => a.kind === 'issuing') ? authorities.issuing() : undefined;
  const lines = authorities.all().map((a) => {
    const stored = a.row.wrapped_key;
    const key = !stored ? 'no key (external CA)' : isTokenRef(stored) ? `PKCS#11 token "${stored.token}"` : 'soft, wrapped by the master key';
    const issued = a.kind === 'root' || a.kind === 'issuing' ? `, ${counts.get(a.row.id) ?? 0} certificates issued` : '';
    const mark = a === current ? ' [issuing now]' : '';
    return `${a.name} (${a.kind})${mark}: ${a.row.subject_dn}; serial ${a.row.serial}; ${a.row.not_before.toISOString()} – ${a.row.not_after.toISOString()}; key: ${key}${issued}`;
  });
  return lines.length ? lines.join('\n') : 'no CA yet: the server creates the development CA on its first start (or see `kyso ca export-csr`)';
}
