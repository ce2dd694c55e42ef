import type { Knex } from 'knex';

/**
 * Certificate status changes are announced, at commit and in commit order, on the channel
 * `kyso_certificate_status` with the changed serials as payload ('*' when they do not fit in one
 * notification), so every process drops exactly what it cached about them (style.md habit 13).
 * Migration 003's trigger fired on every status-change row, a certificate's first included, and
 * said nothing of which certificates changed: it goes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists certificate_status_changes_notify on certificate_status_changes');
  await knex.raw('drop function if exists kyso_notify_status_change()');
  // Updates: the rows whose status moved. Inserts: only rows that arrive not active (a new
  // active certificate changes no CRL, and an unknown serial is never cached).
  await knex.raw(`
    create function kyso_notify_certificate_status() returns trigger language plpgsql as $$
    declare
      serials text;
    begin
      if tg_op = 'UPDATE' then
        select string_agg(n.serial, ',') into serials
          from changed_new n join changed_old o on o.id = n.id
          where n.status is distinct from o.status;
      else
        select string_agg(n.serial, ',') into serials from changed_new n where n.status <> 'active';
      end if;
      if serials is not null then
        -- pg_notify's payload must stay under 8000 bytes.
        perform pg_notify('kyso_certificate_status', case when length(serials) > 7000 then '*' else serials end);
      end if;
      return null;
    end $$`);
  await knex.raw(`
    create trigger certificates_status_notify_update after update on certificates
    referencing old table as changed_old new table as changed_new
    for each statement execute function kyso_notify_certificate_status()`);
  await knex.raw(`
    create trigger certificates_status_notify_insert after insert on certificates
    referencing new table as changed_new
    for each statement execute function kyso_notify_certificate_status()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists certificates_status_notify_insert on certificates');
  await knex.raw('drop trigger if exists certificates_status_notify_update on certificates');
  await knex.raw('drop function if exists kyso_notify_certificate_status()');
}
