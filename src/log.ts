import { pino, type Logger } from 'pino';

/** Paths pino replaces with "[redacted]": credentials, PINs, tokens and keys never reach a log. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  'newPassword',
  'pin',
  'newPin',
  'token',
  'privateKey',
  'masterKey',
  '*.password',
  '*.newPassword',
  '*.pin',
  '*.newPin',
  '*.token',
  '*.privateKey',
  '*.masterKey',
];

/**
 * Serializes an error for the log. A PostgreSQL error (it has a five-character SQLSTATE `code`)
 * keeps its SQL text, code, table and constraint but not `detail`, `where` or quoted values in
 * its message: "Failing row contains (…)" and "invalid input syntax for type uuid: "…"" carry
 * the bound values, and a failed user insert logged the new user's password hash (issue #13 item 3).
 */
function serializeError(err: unknown): unknown {
  const e = err as { code?: unknown; severity?: unknown; message?: unknown };
  if (!(err instanceof Error) || typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code) || !('severity' in err)) {
    return pino.stdSerializers.err(err as Error);
  }
  const db = err as unknown as Error & { code: string; table?: string; constraint?: string; column?: string; routine?: string };
  return {
    type: db.name,
    message: db.message.replace(/: ".*"$/s, ': "…"'),
    code: db.code,
    table: db.table,
    constraint: db.constraint,
    column: db.column,
    routine: db.routine,
    stack: db.stack?.split('\n').slice(1).join('\n'),
  };
}

/** The service logger (JSON lines on stdout). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'kyso' }, serializers: { err: serializeError } },
    destination,
  );
}

const SECRET_NAME = /token|passw|pin|secret|key|sig|auth|session|credential|code/i;
const TOKEN_LIKE = /^[A-Za-z0-9_\-+/=.~%]{32,}$/;

/**
 * A request URL fit for a log: query values whose name says secret (`access_token`, `password`,
 * `apiKey`, …) or that look like a token (32+ base64/hex characters) become `[redacted]`.
 * Bearer tokens are only accepted in the Authorization header, but a client may still send one
 * in a URL, and it must not land in the log (issue #13 item 6).
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      return name !== 'cursor' && (SECRET_NAME.test(name) || TOKEN_LIKE.test(value)) ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}
