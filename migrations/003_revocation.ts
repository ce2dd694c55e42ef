import type { Knex } from 'knex';

/** Issued CRLs (the latest is served again after a restart while still current), the revocation-status index and change notifications. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('crls', (t) => {
    t.uuid('ca_id').notNullable().references('certificate_authorities.id');
    t.bigInteger('crl_number').notNullable();
    t.timestamp('this_update', { useTz: true }).notNullable();
    t.timestamp('next_update', { useTz: true }).notNullable();
    // sha256 over the entries, to tell whether a new CRL number is needed
    t.text('entries_digest').notNullable();
    t.integer('entry_count').notNullable();
    t.binary('der').notNullable();
    t.primary(['ca_id', 'crl_number']);
  });
  // The CRL lists the few certificates that are not active; keep that lookup off the full table.
  await knex.raw("create index certificates_not_active on certificates (issuer_ca_id) where status <> 'active'");
  // Tells listeners, at commit, that certificate statuses changed (the embedded database's OCSP
  // and CRL caches listen instead of querying the change counter for every request).
  await knex.raw(`
    create function kyso_notify_status_change() returns trigger language plpgsql as $$
    begin
      perform pg_notify('kyso_status_changes', '');
      return null;
    end $$`);
  await knex.raw(`
    create trigger certificate_status_changes_notify after insert on certificate_status_changes
    for each statement execute function kyso_notify_status_change()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists certificate_status_changes_notify on certificate_status_changes');
  await knex.raw('drop function if exists kyso_notify_status_change()');
  await knex.raw('drop index if exists certificates_not_active');
  await knex.schema.dropTableIfExists('crls');
}
