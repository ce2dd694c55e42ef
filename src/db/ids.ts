const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True when `id` can be a uuid column's value. Lookups answer "not found" for anything else
 * instead of letting PostgreSQL refuse the cast (a 500).
 */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
