import type { Knex } from 'knex';

/*
 * Issue #11: batch signing jobs (POST …/sign-jobs). The uploaded and signed PDFs live on disk
 * under KYSO_DATA_DIR/sign-jobs/<id>; a job's row holds its progress and each file's result.
 * `heartbeat_at` moves while an instance works on the job: a running job whose heartbeat stopped
 * (the instance was restarted or killed) is failed, with the files signed so far kept.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table sign_jobs (
      id uuid primary key,
      account_id uuid not null references signing_accounts(id),
      owner_id uuid not null references users(id),
      status text not null check (status in ('running', 'done', 'failed')),
      total integer not null,
      done integer not null default 0,
      failed integer not null default 0,
      results jsonb not null default '[]',
      error text,
      created_at timestamptz not null,
      heartbeat_at timestamptz not null,
      finished_at timestamptz,
      expires_at timestamptz
    )
  `);
  await knex.raw('create index sign_jobs_running on sign_jobs (heartbeat_at) where status = \'running\'');
  await knex.raw('create index sign_jobs_expires on sign_jobs (expires_at) where expires_at is not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists sign_jobs');
}
