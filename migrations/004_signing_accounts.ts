import type { Knex } from 'knex';

/** Centralized signing accounts: a kyso-held key per signer, wrapped with the PIN and the master key. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signing_accounts', (t) => {
    t.uuid('id').primary();
    t.uuid('user_id').notNullable().references('users.id');
    t.uuid('organization_id').notNullable().references('organizations.id');
    t.uuid('certificate_id').notNullable().references('certificates.id');
    t.text('key_algorithm').notNullable();
    // AES-256-GCM over the PKCS#8 key under KEK = HKDF(master key, scrypt(PIN)); see src/signing/pin-key.ts
    t.jsonb('wrapped_key').notNullable();
    // scrypt salt and cost, per account, so the parameters can be raised on the next PIN change
    t.jsonb('kdf').notNullable();
    t.text('status').notNullable();
    // consecutive wrong PINs; persisted so that a restart does not reset the lockout
    t.integer('failed_pin_attempts').notNullable().defaultTo(0);
    t.timestamp('locked_at', { useTz: true });
    t.uuid('created_by').references('users.id');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['organization_id', 'created_at', 'id']);
    t.index(['user_id', 'created_at']);
    t.index(['created_at', 'id']);
    t.check("status in ('active','locked')", [], 'signing_account_status_check');
    t.check("key_algorithm in ('ecdsa-p256','rsa-2048')", [], 'signing_account_key_algorithm_check');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('signing_accounts');
}
