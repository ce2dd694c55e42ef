import { BadRequest } from '../errors.js';

/** Keyset cursor over (created_at, id), newest first: opaque base64url of `<iso time>|<uuid>`. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${new Date(createdAt).toISOString()}|${id}`).toString('base64url');
}

/** The position a cursor names; 400 for one kyso did not hand out. */
export function decodeCursor(cursor: string | undefined): { createdAt: Date; id: string } | undefined {
  if (!cursor) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)\|([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m || Number.isNaN(Date.parse(m[1]!))) throw new BadRequest('invalid cursor');
  return { createdAt: new Date(m[1]!), id: m[2]! };
}
