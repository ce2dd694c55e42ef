import { availableParallelism } from 'node:os';
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
  /** Hosts kyso may fetch other PKIs' CRLs and OCSP answers from (`KYSO_FETCH_ALLOW`); undefined = any. */
  readonly fetchAllow: readonly string[] | undefined;
  /** Time limit of one such fetch, in milliseconds. */
  readonly fetchTimeoutMs: number;
  /** KYSO_POLICY_ARC: certificate policies are `<arc>.1.<n>`, the TSA policy `<arc>.2.1`. */
  readonly policyArc: string;
  /** The PKCS#11 token CA and service keys live in; undefined = soft keys wrapped by the master key. */
  readonly pkcs11: { readonly module: string; readonly label: string; readonly pin: string } | undefined;
  /** How long an idle keep-alive connection stays open, in ms (above a load balancer's idle timeout). */
  readonly keepAliveTimeoutMs: number;
  /** How long a client may take to send the request headers, in ms (above keepAliveTimeoutMs). */
  readonly headersTimeoutMs: number;
  /** Serving processes (KYSO_WORKERS; `auto` = one per core); more than 1 needs PostgreSQL. */
  readonly workers: number;
  /** Bearer token `GET /metrics` needs; undefined = /metrics answers loopback clients only. */
  readonly metricsToken: string | undefined;
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
  KYSO_FETCH_ALLOW: z
    .string()
    .transform((value) => value.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^(\*|(\*\.)?[a-z0-9.:-]+)$/, 'host patterns: host, *.domain or *')))
    .optional(),
  KYSO_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  KYSO_POLICY_ARC: z
    .string()
    .regex(/^[0-2](\.(0|[1-9][0-9]{0,9}))+$/, 'must be a dotted OID such as 1.3.6.1.4.1.12345.1')
    .refine((arc) => arc.split('.').every((n) => Number(n) < 2 ** 32), 'every arc must be below 2^32 (GnuTLS, NSS and Botan refuse larger ones)')
    .default('1.3.6.1.4.1.32473.1'),
  KYSO_PKCS11_MODULE: z.string().min(1).optional(),
  KYSO_PKCS11_TOKEN: z.string().min(1).max(32, 'a token label has at most 32 characters').optional(),
  KYSO_PKCS11_PIN: z.string().min(1).optional(),
  KYSO_KEEP_ALIVE_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(65),
  KYSO_HEADERS_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(66),
  KYSO_WORKERS: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(256)], { error: 'must be a whole number from 1 to 256, or auto' })
    .default(1),
  KYSO_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
}).superRefine((e, ctx) => {
  if (e.KYSO_HEADERS_TIMEOUT_SECONDS <= e.KYSO_KEEP_ALIVE_TIMEOUT_SECONDS) {
    ctx.addIssue({ code: 'custom', path: ['KYSO_HEADERS_TIMEOUT_SECONDS'], message: 'must be greater than KYSO_KEEP_ALIVE_TIMEOUT_SECONDS' });
  }
  if (e.KYSO_WORKERS !== 1 && !e.DATABASE_URL && (e.KYSO_WORKERS === 'auto' ? availableParallelism() : e.KYSO_WORKERS) > 1) {
    ctx.addIssue({ code: 'custom', path: ['KYSO_WORKERS'], message: 'more than one process needs PostgreSQL (DATABASE_URL); the embedded database serves one' });
  }
  const set = (['KYSO_PKCS11_MODULE', 'KYSO_PKCS11_TOKEN', 'KYSO_PKCS11_PIN'] as const).filter((k) => e[k] !== undefined);
  if (set.length > 0 && set.length < 3) {
    ctx.addIssue({ code: 'custom', path: ['KYSO_PKCS11_MODULE'], message: 'KYSO_PKCS11_MODULE, KYSO_PKCS11_TOKEN and KYSO_PKCS11_PIN go together: set all three or none' });
  }
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
    fetchAllow: e.KYSO_FETCH_ALLOW ? Object.freeze(e.KYSO_FETCH_ALLOW) : undefined,
    fetchTimeoutMs: e.KYSO_FETCH_TIMEOUT_MS,
    policyArc: e.KYSO_POLICY_ARC,
    pkcs11:
      e.KYSO_PKCS11_MODULE && e.KYSO_PKCS11_TOKEN && e.KYSO_PKCS11_PIN
        ? Object.freeze({ module: e.KYSO_PKCS11_MODULE, label: e.KYSO_PKCS11_TOKEN, pin: e.KYSO_PKCS11_PIN })
        : undefined,
    keepAliveTimeoutMs: e.KYSO_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
    headersTimeoutMs: e.KYSO_HEADERS_TIMEOUT_SECONDS * 1000,
    workers: e.KYSO_WORKERS === 'auto' ? availableParallelism() : e.KYSO_WORKERS,
    metricsToken: e.KYSO_METRICS_TOKEN,
  });
}
