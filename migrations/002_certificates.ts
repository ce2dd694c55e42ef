import type { Knex } from 'knex';

/** Certificate requests, certificates (issued and imported), their status history, trust anchors. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('trust_anchors', (t) => {
    t.uuid('id').primary();
    t.text('name').notNullable();
    t.text('subject_dn').notNullable();
    t.binary('subject_der').notNullable();
    t.binary('der').notNullable();
    t.text('fingerprint').notNullable().unique();
    t.text('serial').notNullable();
    t.timestamp('not_before', { useTz: true }).notNullable();
    t.timestamp('not_after', { useTz: true }).notNullable();
    t.uuid('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('certificate_requests', (t) => {
    t.uuid('id').primary();
    t.text('kind').notNullable();
    t.text('status').notNullable();
    t.text('holder');
    t.text('medium');
    t.uuid('organization_id').notNullable().references('organizations.id');
    t.jsonb('subject');
    t.binary('csr');
    // the CSR's checked SubjectPublicKeyInfo, so approval need not parse the CSR again
    t.binary('public_key_info');
    t.text('msisdn');
    t.text('carrier');
    t.text('profile');
    t.text('target_serial');
    t.text('reason');
    t.uuid('requested_by').notNullable().references('users.id');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.uuid('decided_by').references('users.id');
    t.timestamp('decided_at', { useTz: true });
    t.text('decision_reason');
    t.text('certificate_serial');
    t.uuid('certificate_id');
    t.check("kind in ('new','renew','revoke','suspend','resume','change-info')", [], 'request_kind_check');
    t.check("status in ('submitted','approved','issued','rejected','cancelled')", [], 'request_status_check');
    t.index(['status', 'created_at']);
    t.index(['organization_id', 'created_at']);
  });

  await knex.schema.createTable('certificates', (t) => {
    t.uuid('id').primary();
    t.text('serial').notNullable();
    t.text('issuer_dn').notNullable();
    // sha256 of the issuer Name DER: with the serial, what identifies a certificate (RFC 5280 §4.1.2.2)
    t.text('issuer_name_hash').notNullable();
    t.uuid('issuer_ca_id').references('certificate_authorities.id');
    t.uuid('trust_anchor_id').references('trust_anchors.id');
    t.text('fingerprint').notNullable().unique();
    t.binary('der').notNullable();
    t.text('subject_dn').notNullable();
    t.text('common_name');
    t.specificType('uids', 'text[]').notNullable();
    t.text('holder').notNullable();
    t.text('medium').notNullable();
    // the validated subject as requested (commonName, uid[], title, …): what renew re-issues
    t.jsonb('subject').notNullable();
    t.text('profile');
    t.text('msisdn');
    t.text('carrier');
    t.uuid('organization_id').notNullable().references('organizations.id');
    // sector and province as they were at issuance: later moves never rewrite history
    t.text('sector').notNullable();
    t.text('province').notNullable();
    t.timestamp('not_before', { useTz: true }).notNullable();
    t.timestamp('not_after', { useTz: true }).notNullable();
    t.text('status').notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.text('revocation_reason');
    t.timestamp('suspended_at', { useTz: true });
    t.text('source').notNullable();
    t.uuid('request_id').references('certificate_requests.id');
    t.jsonb('wrapped_key');
    t.timestamp('key_delivered_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['issuer_name_hash', 'serial']);
    t.index(['serial']);
    t.index(['organization_id', 'not_before']);
    t.index(['not_before']);
    t.check("status in ('active','suspended','revoked')", [], 'certificate_status_check');
    t.check("holder in ('individual','organization')", [], 'certificate_holder_check');
    t.check("medium in ('token','sim','remote','file')", [], 'certificate_medium_check');
    t.check("source in ('issued','imported')", [], 'certificate_source_check');
  });

  // Every status change of a certificate, so status can be told as of any past date.
  await knex.schema.createTable('certificate_status_changes', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('certificate_id').notNullable().references('certificates.id');
    t.timestamp('at', { useTz: true }).notNullable();
    t.text('status').notNullable();
    t.text('reason');
    t.index(['certificate_id', 'at']);
    t.index(['at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['certificate_status_changes', 'certificates', 'certificate_requests', 'trust_anchors']) {
    await knex.schema.dropTableIfExists(table);
  }
}
