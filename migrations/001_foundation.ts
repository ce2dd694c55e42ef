import type { Knex } from 'knex';

/** Sectors, organizations, users, sessions, login throttling, the audit chain and the CAs. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sectors', (t) => {
    t.text('code').primary();
    t.text('name').notNullable();
  });
  await knex('sectors').insert(
    [
      ['education', 'Giáo dục và Đào tạo'],
      ['health', 'Y tế'],
      ['finance', 'Tài chính'],
      ['justice', 'Tư pháp'],
      ['agriculture', 'Nông nghiệp và Môi trường'],
      ['transport', 'Giao thông vận tải'],
      ['industry', 'Công Thương'],
      ['natural-resources', 'Tài nguyên và Môi trường'],
      ['culture', 'Văn hóa, Thể thao và Du lịch'],
      ['home-affairs', 'Nội vụ'],
      ['other', 'Khác'],
    ].map(([code, name]) => ({ code, name })),
  );

  await knex.schema.createTable('organizations', (t) => {
    t.uuid('id').primary();
    t.text('name').notNullable();
    t.text('code').notNullable().unique();
    t.text('sector').notNullable().references('sectors.code');
    t.text('province').notNullable();
    t.uuid('parent_id').references('organizations.id');
    t.timestamp('created_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary();
    t.text('username').notNullable().unique();
    t.text('password_hash').notNullable();
    t.text('role').notNullable();
    t.uuid('organization_id').references('organizations.id');
    t.text('full_name');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.check("role in ('admin','officer','agency','signer','auditor')", [], 'users_role_check');
  });

  await knex.schema.createTable('sessions', (t) => {
    t.text('token_hash').primary();
    t.uuid('user_id').notNullable().references('users.id');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
  });

  await knex.schema.createTable('login_throttle', (t) => {
    t.text('username').primary();
    t.integer('failures').notNullable();
    t.timestamp('window_start', { useTz: true }).notNullable();
    t.timestamp('blocked_until', { useTz: true });
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('seq').primary();
    t.timestamp('at', { useTz: true }).notNullable();
    t.uuid('actor_id');
    t.text('actor_username');
    t.text('actor_role');
    t.text('action').notNullable();
    t.text('target_type');
    t.text('target_id');
    t.text('ip');
    t.jsonb('details').notNullable();
    t.text('prev_hash').notNullable();
    t.text('hash').notNullable();
    t.index(['at']);
    t.index(['action', 'seq']);
    t.index(['actor_username', 'seq']);
  });
  // Serializes appends so that each event chains to exactly one predecessor.
  await knex.schema.createTable('audit_head', (t) => {
    t.integer('id').primary();
    t.bigInteger('seq').notNullable();
    t.text('hash').notNullable();
  });
  await knex('audit_head').insert({ id: 1, seq: 0, hash: '0'.repeat(64) });

  await knex.schema.createTable('certificate_authorities', (t) => {
    t.uuid('id').primary();
    t.text('name').notNullable().unique();
    t.text('kind').notNullable();
    t.uuid('parent_id').references('certificate_authorities.id');
    t.text('subject_dn').notNullable();
    t.text('serial').notNullable();
    t.binary('der').notNullable();
    t.binary('subject_der').notNullable();
    t.binary('key_id').notNullable();
    t.jsonb('wrapped_key').notNullable();
    t.bigInteger('crl_number').notNullable().defaultTo(0);
    t.timestamp('not_before', { useTz: true }).notNullable();
    t.timestamp('not_after', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.check("kind in ('root','issuing','ocsp','tsa')", [], 'ca_kind_check');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'certificate_authorities',
    'audit_head',
    'audit_events',
    'login_throttle',
    'sessions',
    'users',
    'organizations',
    'sectors',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
