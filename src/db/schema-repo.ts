import type { Knex } from 'knex';

/**
 * True when the database's public schema holds no table at all, kyso's or anyone's: what
 * `kyso restore` requires so that a restore never mixes two installations.
 */
export async function isEmptyDatabase(knex: Knex): Promise<boolean> {
  const table = await knex('information_schema.tables').where('table_schema', 'public').first('table_name');
  return table === undefined;
}
