import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { ocspRequest } from '../pki/ocsp.js';
import type { CertificateFacts } from '../pki/verify/certificate-facts.js';
import {
  crlStatus,
  ocspStatus,
  parseCrl,
  UnusableRevocationData,
  type ParsedCrl,
  type RevocationEvidence,
} from '../pki/verify/revocation-data.js';

/** Where and how kyso may fetch other PKIs' revocation data (api.md "Trust anchors", `KYSO_FETCH_ALLOW`). */
export interface FetchPolicy {
  /** Host patterns (`ca.gov.vn`, `*.gov.vn`, `127.0.0.1`); undefined = any host. */
  readonly allow: readonly string[] | undefined;
  readonly timeoutMs: number;
}

/** What the responders and distribution points of one certificate said, or why they said nothing. */
export type FetchedStatus =
  | { readonly source: 'ocsp' | 'crl'; readonly evidence: RevocationEvidence }
  | { readonly source: 'none'; readonly problems: string[] };

/** Largest CRL read (a national CA's full CRL is a few MB). */
const MAX_CRL_BYTES = 20 * 1024 * 1024;
const MAX_OCSP_BYTES = 256 * 1024;
/** A failed fetch is not retried for this long, so a dead responder does not slow every verification by its timeout. */
const FAILURE_REUSE_MS = 60_000;
/** Data without nextUpdate is reused this long; data with one until then, but never longer than MAX_REUSE_MS. */
const DEFAULT_REUSE_MS = 5 * 60_000;
const MAX_REUSE_MS = 24 * 3600_000;
const MAX_CACHED = 10_000;
const MAX_REDIRECTS = 3;

type Cached<T> = { readonly value?: T; readonly problem?: string; readonly until: number };

/** Whether `host` matches one of the KYSO_FETCH_ALLOW patterns (`*` any host, `*.x` any subdomain of x). */
export function hostAllowed(host: string, allow: readonly string[] | undefined): boolean {
  if (!allow) return true;
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  return allow.some((pattern) => pattern === '*' || pattern === h || (pattern.startsWith('*.') && h.endsWith(pattern.slice(1))));
}

/**
 * Fetches other PKIs' revocation data: OCSP from the certificate's AIA first (fresher, smaller),
 * then its CRL distribution points; HTTP(S) only, hosts limited by KYSO_FETCH_ALLOW, each fetch
 * bounded in time and size. Answers and CRLs are cached until their nextUpdate, failures for a minute,
 * concurrent fetches of one URL shared. Only called for certificates chaining to a trusted CA, so
 * the URLs come from a CA kyso trusts, not from whoever sent the signature.
 */
export class RevocationFetcher {
  private readonly ocsp = new Map<string, Cached<Buffer>>();
  private readonly crls = new Map<string, Cached<ParsedCrl>>();
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly policy: FetchPolicy,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** The status of `cert` (issued by `issuer`) from its own OCSP responders and CRLs. */
  async status(cert: CertificateFacts, issuer: CertificateFacts): Promise<FetchedStatus> {
    const problems: string[] = [];
    const usable = (urls: readonly string[] | undefined) => (urls ?? []).filter((url) => this.fetchable(url, problems));
    for (const url of usable(cert.ocspUrls)) {
      const request = ocspRequest(cert.serialBytes, cert.issuerDer, issuer.publicKeyInfo);
      const der = await this.cached(this.ocsp, `${url} ${request.toString('base64')}`, () => this.post(url, request), (body) => ({ value: body, until: this.until(undefined) }));
      if (!der.value) {
        problems.push(`OCSP ${url}: ${der.problem}`);
        continue;
      }
      try {
        const evidence = ocspStatus(der.value, cert, issuer, this.clock.now());
        if (evidence.status !== 'unknown') {
          this.keepUntil(this.ocsp, `${url} ${request.toString('base64')}`, evidence.nextUpdate);
          return { source: 'ocsp', evidence };
        }
        problems.push(`OCSP ${url}: the responder does not know the certificate`);
      } catch (err) {
        if (!(err instanceof UnusableRevocationData)) throw err;
        this.ocsp.delete(`${url} ${request.toString('base64')}`);
        problems.push(`OCSP ${url}: ${err.message}`);
      }
    }
    for (const url of usable(cert.crlUrls)) {
      const crl = await this.cached(this.crls, url, () => this.get(url, MAX_CRL_BYTES), (body) => {
        const parsed = parseCrl(body);
        return { value: parsed, until: this.until(parsed.nextUpdate) };
      });
      if (!crl.value) {
        problems.push(`CRL ${url}: ${crl.problem}`);
        continue;
      }
      try {
        return { source: 'crl', evidence: crlStatus(crl.value, cert, issuer, this.clock.now()) };
      } catch (err) {
        if (!(err instanceof UnusableRevocationData)) throw err;
        this.crls.delete(url);
        problems.push(`CRL ${url}: ${err.message}`);
      }
    }
    if (!cert.ocspUrls?.length && !cert.crlUrls?.length) problems.push('the certificate names no OCSP responder and no CRL distribution point');
    return { source: 'none', problems };
  }

  private fetchable(url: string, problems: string[]): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      problems.push(`${url}: not a URL`);
      return false;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      problems.push(`${url}: only http and https are fetched`);
      return false;
    }
    if (!hostAllowed(parsed.hostname, this.policy.allow)) {
      problems.push(`${url}: ${parsed.hostname} is not in KYSO_FETCH_ALLOW`);
      return false;
    }
    return true;
  }

  /** A cache entry, fetching (once for concurrent callers) when absent or expired. */
  private async cached<T>(
    cache: Map<string, Cached<T>>,
    key: string,
    fetch: () => Promise<Buffer>,
    read: (body: Buffer) => Cached<T>,
  ): Promise<Cached<T>> {
    const hit = cache.get(key);
    if (hit && hit.until > this.clock.now().getTime()) return hit;
    let pending = this.inFlight.get(key) as Promise<Cached<T>> | undefined;
    if (!pending) {
      pending = fetch()
        .then(read)
        .catch((err: unknown): Cached<T> => {
          const problem = err instanceof UnusableRevocationData || err instanceof FetchFailed ? err.message : `fetch failed (${(err as Error).message})`;
          this.logger.info({ url: key.split(' ')[0], problem }, 'revocation data not fetched');
          return { problem, until: this.clock.now().getTime() + FAILURE_REUSE_MS };
        })
        .then((entry) => {
          if (cache.size >= MAX_CACHED) cache.clear();
          cache.set(key, entry);
          return entry;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Keeps an OCSP answer until its nextUpdate, now that it is known to be usable. */
  private keepUntil(cache: Map<string, Cached<Buffer>>, key: string, nextUpdate: Date | undefined): void {
    const entry = cache.get(key);
    if (entry?.value) cache.set(key, { value: entry.value, until: this.until(nextUpdate) });
  }

  private until(nextUpdate: Date | undefined): number {
    const now = this.clock.now().getTime();
    return nextUpdate ? Math.min(nextUpdate.getTime(), now + MAX_REUSE_MS) : now + DEFAULT_REUSE_MS;
  }

  private post(url: string, request: Buffer): Promise<Buffer> {
    return this.fetch(url, MAX_OCSP_BYTES, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: request });
  }

  private get(url: string, limit: number): Promise<Buffer> {
    return this.fetch(url, limit, { method: 'GET' });
  }

  /** One HTTP exchange within the time limit, following a few redirects to allowed hosts, reading at most `limit` bytes. */
  private async fetch(url: string, limit: number, init: RequestInit): Promise<Buffer> {
    const signal = AbortSignal.timeout(this.policy.timeoutMs);
    let target = url;
    for (let hop = 0; ; hop++) {
      let res: Response;
      try {
        res = await fetch(target, { ...init, redirect: 'manual', signal });
      } catch (err) {
        const cause = (err as Error).cause;
        // fetch's own error says only "fetch failed"; its cause says why ("Error: connect ECONNREFUSED …").
        const why = cause instanceof Error ? String(cause) : typeof cause === 'string' ? cause : (err as Error).message;
        throw new FetchFailed(signal.aborted ? `no answer within ${this.policy.timeoutMs} ms` : `unreachable (${why})`);
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        const next = new URL(location, target);
        const problems: string[] = [];
        if (hop >= MAX_REDIRECTS || !this.fetchable(next.href, problems)) throw new FetchFailed(problems[0] ?? 'too many redirects');
        target = next.href;
        continue;
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new FetchFailed(`HTTP ${res.status}`);
      }
      return readLimited(res, limit, signal);
    }
  }
}

/** A fetch that gave no usable body. */
class FetchFailed extends Error {}

async function readLimited(res: Response, limit: number, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > limit) {
    await res.body?.cancel();
    throw new FetchFailed(`larger than ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      // Leaving the loop cancels the stream.
      if (size > limit) throw new FetchFailed(`larger than ${limit} bytes`);
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof FetchFailed) throw err;
    throw new FetchFailed(signal.aborted ? 'no complete answer in time' : `read failed (${(err as Error).message})`);
  }
  return Buffer.concat(chunks);
}
