import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import yazl from 'yazl';
import { recordAudit } from '../audit/audit.js';
import type { Actor, Principal } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import {
  deleteExpiredJobs,
  failAbandonedJobs,
  findSignJob,
  insertSignJob,
  updateSignJob,
  type SignJobResult,
  type SignJobRow,
} from '../db/sign-jobs-repo.js';
import { Conflict, DomainError, NotFound, Refused } from '../errors.js';
import type { DocumentSigningService, PadesOptions } from './documents.js';

/** Most PDFs in one job, and their total size (api.md). */
export const MAX_JOB_FILES = 1000;
export const MAX_JOB_BYTES = 500 * 1024 * 1024;
/** Signed files are kept this long after the job ends, then deleted with the job. */
const RESULT_TTL_MS = 24 * 3600 * 1000;
/** A running job's heartbeat moves at least this often; one silent for ABANDONED_AFTER_MS lost its instance. */
const HEARTBEAT_MS = 2_000;
const ABANDONED_AFTER_MS = 30_000;
const SWEEP_MS = 10 * 60 * 1000;

/** A job as the API shows it. */
export interface SignJobView {
  id: string;
  accountId: string;
  status: SignJobRow['status'];
  total: number;
  done: number;
  failed: number;
  results: SignJobResult[];
  error?: string;
  createdAt: string;
  finishedAt?: string;
  expiresAt?: string;
}

/** An uploaded file waiting in the job's directory. */
export interface StagedFile {
  readonly name: string;
  readonly path: string;
}

/**
 * Batch signing jobs (api.md "Batch jobs"): the PDFs are streamed to disk by the HTTP layer, the
 * PIN is checked once, and one job signs them one after another in the background with the key
 * held only in memory, writing each signed PDF next to the others and its progress to the
 * database. A restart leaves a job's heartbeat behind: it is failed with the files done so far
 * downloadable. Results are deleted 24 hours after the job ends.
 */
export class SignJobService {
  private readonly running = new Map<string, { stop: boolean; finished: Promise<void> }>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly documents: DocumentSigningService,
    /** KYSO_DATA_DIR/sign-jobs */
    readonly root: string,
    private readonly logger: Logger,
  ) {}

  /** A new job id and the directory its uploads go to. */
  async stage(): Promise<{ id: string; dir: string }> {
    const id = randomUUID();
    const dir = path.join(this.root, id, 'in');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return { id, dir };
  }

  /** Removes a staged upload that never became a job. */
  async discard(id: string): Promise<void> {
    await rm(path.join(this.root, id), { recursive: true, force: true });
  }

  /**
   * Starts job `id` over its staged files: checks the PIN once (a wrong PIN, a locked account, a
   * first PIN not yet changed end the request and remove the files), records the job and its
   * audit event, and signs in the background.
   */
  async start(actor: Actor, accountId: string, id: string, pin: string, options: PadesOptions, files: StagedFile[]): Promise<SignJobView> {
    try {
      if (files.length === 0) throw new Refused('the job has no documents: send PDF files in parts named "documents"', [{ path: 'documents', message: 'required' }]);
      const event = { action: 'signing-account.sign-job', details: { jobId: id, count: files.length, level: options.level ?? 'B-B', visible: Boolean(options.visible) } };
      const signOne = await this.documents.openPdfBatch(actor, accountId, pin, options, event);
      const now = this.clock.now();
      const row: SignJobRow = {
        id,
        account_id: accountId,
        owner_id: actor.principal!.id,
        status: 'running',
        total: files.length,
        done: 0,
        failed: 0,
        results: [],
        error: null,
        created_at: now,
        heartbeat_at: now,
        finished_at: null,
        expires_at: null,
      };
      await insertSignJob(this.knex, row);
      const control = { stop: false, finished: Promise.resolve() };
      control.finished = this.run(actor, row, files, signOne, control).catch((err: unknown) => this.logger.error({ err, jobId: id }, 'sign job crashed'));
      this.running.set(id, control);
      return toView(row);
    } catch (err) {
      await this.discard(id);
      throw err;
    }
  }

  /** A job of the caller's (404 for anyone else's, or one whose results expired). */
  async get(principal: Principal, id: string): Promise<SignJobView> {
    return toView(await this.owned(principal, id));
  }

  /**
   * The signed PDFs of a finished (or failed) job as a ZIP, under their own names (duplicates
   * numbered), streamed from disk.
   */
  async zip(principal: Principal, id: string): Promise<Readable> {
    const job = await this.owned(principal, id);
    if (job.status === 'running') throw new Conflict(`the job is still running (${job.done + job.failed} of ${job.total} done)`);
    const zip = new yazl.ZipFile();
    const used = new Set<string>();
    for (const result of job.results) {
      if (result.status !== 'signed') continue;
      const entry = { compress: false, mtime: job.finished_at ?? job.created_at };
      // Opened when its turn comes: a thousand files opened at once hold a thousand descriptors and read buffers.
      const file = this.output(id, result.index);
      zip.addReadStreamLazy(uniqueName(result.name, used), entry, (ready) => ready(null, createReadStream(file)));
    }
    zip.end();
    return zip.outputStream as Readable;
  }

  /** At start-up and every 10 minutes: fails abandoned jobs and deletes expired ones. */
  async startSweeping(): Promise<void> {
    await this.sweep();
    this.sweeper = setInterval(() => void this.sweep().catch((err: unknown) => this.logger.warn({ err }, 'sign job sweep failed')), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Stops the sweeper and the jobs of this process where they are (as a crash would; another start fails them). */
  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const control of this.running.values()) control.stop = true;
    await Promise.all([...this.running.values()].map((c) => c.finished));
  }

  private async sweep(): Promise<void> {
    const now = this.clock.now();
    await failAbandonedJobs(this.knex, new Date(now.getTime() - ABANDONED_AFTER_MS), now, new Date(now.getTime() + RESULT_TTL_MS), ABANDONED);
    for (const id of await deleteExpiredJobs(this.knex, now)) await this.discard(id);
  }

  private async owned(principal: Principal, id: string): Promise<SignJobRow> {
    let job = await findSignJob(this.knex, id);
    if (!job || job.owner_id !== principal.id) throw new NotFound('sign job not found');
    const now = this.clock.now();
    if (job.status === 'running' && !this.running.has(id) && now.getTime() - new Date(job.heartbeat_at).getTime() > ABANDONED_AFTER_MS) {
      await this.sweep();
      job = (await findSignJob(this.knex, id)) ?? job;
    }
    if (job.expires_at && new Date(job.expires_at) < now) {
      await this.sweep();
      throw new NotFound('sign job not found: its results were deleted 24 hours after it ended');
    }
    return job;
  }

  private output(id: string, index: number): string {
    return path.join(this.root, id, 'out', `${String(index).padStart(4, '0')}.pdf`);
  }

  private async run(
    actor: Actor,
    job: SignJobRow,
    files: StagedFile[],
    signOne: (pdf: Buffer) => Promise<Buffer>,
    control: { stop: boolean },
  ): Promise<void> {
    await mkdir(path.dirname(this.output(job.id, 0)), { recursive: true, mode: 0o700 });
    const results: SignJobResult[] = [];
    const signed = createHash('sha256');
    let done = 0;
    let failed = 0;
    let flushedAt = Date.now();
    const flush = () => updateSignJob(this.knex, job.id, { done, failed, results, heartbeat_at: this.clock.now() });
    // A long document must not look like a dead instance.
    const heartbeat = setInterval(() => void updateSignJob(this.knex, job.id, { heartbeat_at: this.clock.now() }, true).catch(() => undefined), HEARTBEAT_MS);
    heartbeat.unref();
    // The next upload is read while this one is signed (a read that fails fails its document).
    const read = (file: StagedFile | undefined) => file && readFile(file.path).then((bytes) => ({ bytes }), (error: unknown) => ({ error }));
    let next = read(files[0]);
    try {
      for (const [index, file] of files.entries()) {
        if (control.stop) return;
        const input = (await next)!;
        next = read(files[index + 1]);
        try {
          if ('error' in input) throw input.error;
          const pdf = await signOne(input.bytes);
          await writeFile(this.output(job.id, index), pdf, { mode: 0o600 });
          signed.update(createHash('sha256').update(pdf).digest());
          results.push({ index, name: file.name, status: 'signed' });
          done++;
        } catch (err) {
          if (!(err instanceof DomainError)) this.logger.warn({ err, jobId: job.id, index }, 'sign job: a document failed');
          results.push({ index, name: file.name, status: 'failed', error: err instanceof DomainError ? err.message : 'the document could not be signed' });
          failed++;
        }
        await unlink(file.path).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
        if (Date.now() - flushedAt >= 1000) {
          await flush();
          flushedAt = Date.now();
        }
        await yieldToLoop(); // let requests in between documents
      }
      const now = this.clock.now();
      await this.knex.transaction(async (trx) => {
        await updateSignJob(trx, job.id, { status: 'done', done, failed, results, heartbeat_at: now, finished_at: now, expires_at: new Date(now.getTime() + RESULT_TTL_MS) });
        await recordAudit(trx, this.clock, actor, {
          action: 'sign-job.finish',
          target: { type: 'sign-job', id: job.id },
          details: { accountId: job.account_id, total: job.total, signed: done, failed, signedSha256: signed.digest('hex') },
        });
      });
    } catch (err) {
      const now = this.clock.now();
      await updateSignJob(this.knex, job.id, { status: 'failed', done, failed, results, error: 'the job stopped on an internal error', finished_at: now, expires_at: new Date(now.getTime() + RESULT_TTL_MS) });
      throw err;
    } finally {
      clearInterval(heartbeat);
      if (control.stop) await flush().catch(() => undefined);
      this.running.delete(job.id);
      await rm(path.join(this.root, job.id, 'in'), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

const ABANDONED = 'kyso was restarted while the job ran: the files signed before are in result.zip, the others were not signed';

/** `name`, or `name (2).pdf`… when the ZIP already holds it. */
function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  const ext = path.extname(name);
  for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${name.slice(0, name.length - ext.length)} (${n})${ext}`;
  used.add(candidate.toLowerCase());
  return candidate;
}

function toView(row: SignJobRow): SignJobView {
  return {
    id: row.id,
    accountId: row.account_id,
    status: row.status,
    total: row.total,
    done: row.done,
    failed: row.failed,
    results: row.results,
    ...(row.error ? { error: row.error } : {}),
    createdAt: new Date(row.created_at).toISOString(),
    ...(row.finished_at ? { finishedAt: new Date(row.finished_at).toISOString() } : {}),
    ...(row.expires_at ? { expiresAt: new Date(row.expires_at).toISOString() } : {}),
  };
}
