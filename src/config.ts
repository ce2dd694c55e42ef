import { z } from 'zod';

/** Typed, frozen service configuration, parsed once from the environment at start-up. */
export interface Config {
  readonly port: number;
  /** `postgres://` URL; undefined means the embedded PGlite database in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Base of the CRL, OCSP and AIA URLs written into certificates, without a trailing slash. */
  readonly publicUrl: string;
  readonly adminPassword: string | undefined;
  /** 32-byte key that wraps private keys at rest; undefined in development = a key file in `dataDir`. */
  readonly masterKey: Buffer | undefined;
  readonly logLevel: string;
  /** Lifetime of a bearer token, in seconds. */
  readonly tokenTtlSeconds: number;
  /** Directory the development CA certificates are written to. */
  readonly certsDevDir: string;
}

/** Raised when the environment holds a value kyso cannot run with; start-up stops with its message. */
export class ConfigError extends Error {}

const masterKey = z
  .string()
  .transform((value, ctx) => {
    const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
    if (key.length !== 32) {
      ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, as 64 hex digits or base64' });
      return z.NEVER;
    }
    return key;
  });

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  KYSO_DATA_DIR: z.string().min(1).default('./data'),
  KYSO_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  KYSO_ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  KYSO_MASTER_KEY: masterKey.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KYSO_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(30 * 24 * 3600).default(8 * 3600),
  KYSO_CERTS_DEV_DIR: z.string().min(1).default('./certs-dev'),
});

/** Parses the environment into a Config, or throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.KYSO_DATA_DIR,
    publicUrl: (e.KYSO_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    adminPassword: e.KYSO_ADMIN_PASSWORD,
    masterKey: e.KYSO_MASTER_KEY,
    logLevel: e.LOG_LEVEL,
    tokenTtlSeconds: e.KYSO_TOKEN_TTL_SECONDS,
    certsDevDir: e.KYSO_CERTS_DEV_DIR,
  });
}
