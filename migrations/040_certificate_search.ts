import type { Knex } from 'knex';

/*
 * Certificate search (GET /api/v1/certificates?q=): names without regard to Vietnamese diacritics
 * or case ("huong" finds "Hương"), serial and SHA-256 fingerprint prefixes.
 *
 * kyso_fold maps each precomposed Vietnamese vowel (both cases) and đ to its base letter, drops any
 * combining mark left (a name typed in NFD), then lower-cases. translate() before lower(), because
 * lower() under the C collation (the embedded database's) only folds ASCII. Not unaccent: it is an
 * extension the embedded database does not ship.
 *
 * The prefix indexes use text_pattern_ops so that "serial like 'ab12cd%'" is an index range scan
 * whatever the database's collation.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function kyso_fold(s text) returns text language sql immutable strict parallel safe as $$
      select lower(regexp_replace(translate(s,
        'àÀáÁạẠảẢãÃâÂầẦấẤậẬẩẨẫẪăĂằẰắẮặẶẳẲẵẴèÈéÉẹẸẻẺẽẼêÊềỀếẾệỆểỂễỄìÌíÍịỊỉỈĩĨòÒóÓọỌỏỎõÕôÔồỒốỐộỘổỔỗỖơƠờỜớỚợỢởỞỡỠùÙúÚụỤủỦũŨưƯừỪứỨựỰửỬữỮỳỲýÝỵỴỷỶỹỸđĐ',
        'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeeeeeeeiiiiiiiiiioooooooooooooooooooooooooooooooooouuuuuuuuuuuuuuuuuuuuuuyyyyyyyyyydd'),
        '[\\u0300-\\u036f]', '', 'g'))
    $$`);
  await knex.raw('create index certificates_serial_prefix on certificates (serial text_pattern_ops)');
  await knex.raw('create index certificates_fingerprint_prefix on certificates (fingerprint text_pattern_ops)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index certificates_fingerprint_prefix');
  await knex.raw('drop index certificates_serial_prefix');
  await knex.raw('drop function kyso_fold(text)');
}
