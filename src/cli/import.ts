import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import type { ImportInput } from '../certificates/import.js';
import { HOLDERS, MEDIA, type Holder, type Medium } from '../certificates/profiles.js';
import { findOrganizationByCode } from '../db/organizations-repo.js';
import { Conflict } from '../errors.js';
import { toPem } from '../pki/pem.js';
import { cell, parseCsvRecords } from '../shared/csv.js';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';
import { openOutput } from './output.js';

/** One certificate file to import and what to record about it. */
interface ImportJob {
  /** Path as the operator wrote it (relative to the folder or CSV), for the report. */
  readonly name: string;
  readonly file: string;
  readonly holder: string;
  readonly medium: string;
  readonly organization: string;
}

/** Counts of one import run. */
export interface ImportSummary {
  imported: number;
  alreadyThere: number;
  failed: number;
}

const CERTIFICATE_FILE = /\.(pem|der|cer|crt)$/i;
/** Files per transaction: a crash loses at most one batch, and a re-run skips what was stored. */
const BATCH = 250;

/**
 * The jobs of `kyso import <source>`: every .pem/.der/.cer/.crt file under a folder (with the
 * options' holder, medium and organization), or the rows of a CSV `file,holder,medium,organization`
 * whose `file` is relative to the CSV (api.md "Operations").
 */
export function importJobs(source: string, options: { holder?: string; medium?: string; organization?: string }): ImportJob[] {
  let stat;
  try {
    stat = statSync(source);
  } catch {
    throw new UsageError(`${source}: no such file or folder`);
  }
  if (stat.isDirectory()) {
    const missing = (['holder', 'medium', 'organization'] as const).filter((k) => !options[k]);
    if (missing.length) throw new UsageError(`importing a folder needs ${missing.map((m) => `--${m}`).join(', ')}`);
    return (readdirSync(source, { recursive: true }) as string[])
      .filter((name) => CERTIFICATE_FILE.test(name))
      .sort()
      .map((name) => ({ name, file: path.join(source, name), holder: options.holder!, medium: options.medium!, organization: options.organization! }));
  }
  if (!/\.csv$/i.test(source)) throw new UsageError(`${source}: give a folder of certificate files or a .csv`);
  const [header, ...rows] = parseCsvRecords(readFileSync(source, 'utf8'));
  const columns = (header ?? []).map((h) => h.trim().toLowerCase());
  const at = (name: string) => columns.indexOf(name);
  const wanted = ['file', 'holder', 'medium', 'organization'];
  const absent = wanted.filter((c) => at(c) < 0);
  if (absent.length) throw new UsageError(`${source}: the header must be file,holder,medium,organization (missing ${absent.join(', ')})`);
  return rows
    .filter((r) => r.some((cell) => cell.trim() !== ''))
    .map((r) => {
      const name = (r[at('file')] ?? '').trim();
      return {
        name,
        file: path.resolve(path.dirname(source), name),
        holder: (r[at('holder')] ?? '').trim(),
        medium: (r[at('medium')] ?? '').trim(),
        organization: (r[at('organization')] ?? '').trim(),
      };
    });
}

/**
 * Imports the jobs in batches through the same ImportService as `POST /api/v1/certificates/import`,
 * writing one report line per file (`file,outcome,serial,message`) and a progress bar on a
 * terminal. Re-running skips what is already recorded (outcome `already-there`).
 */
export async function runImport(ctx: CliContext, jobs: ImportJob[], reportPath: string, showProgress: boolean): Promise<ImportSummary> {
  const actor = await ctx.actor();
  const summary: ImportSummary = { imported: 0, alreadyThere: 0, failed: 0 };
  const report = await openOutput(reportPath);
  await report.write('file,outcome,serial,message\n');
  const bar = showProgress ? new SingleBar({ format: 'import [{bar}] {value}/{total} files | {eta_formatted} left', stream: process.stderr }, Presets.shades_classic) : undefined;
  bar?.start(jobs.length, 0);
  const organizations = new Map<string, string | undefined>();
  const organizationId = async (code: string) => {
    if (!organizations.has(code)) organizations.set(code, (await findOrganizationByCode(ctx.services.knex, code))?.id);
    return organizations.get(code);
  };
  try {
    for (let start = 0; start < jobs.length; start += BATCH) {
      const batch = jobs.slice(start, start + BATCH);
      const lines: string[] = new Array(batch.length);
      const items: Array<{ input: ImportInput }> = [];
      const positions: number[] = [];
      for (const [i, job] of batch.entries()) {
        const problem = await checkJob(job, organizationId);
        if (typeof problem === 'string') {
          lines[i] = reportLine(job.name, 'failed', '', problem);
          summary.failed++;
          continue;
        }
        items.push({ input: problem });
        positions.push(i);
      }
      const outcomes = items.length ? await ctx.services.imports.importMany(actor, items) : [];
      outcomes.forEach((outcome, k) => {
        const i = positions[k]!;
        const job = batch[i]!;
        if ('view' in outcome) {
          summary.imported++;
          lines[i] = reportLine(job.name, 'imported', outcome.view.serial, '');
        } else if (outcome.cause instanceof Conflict && /already recorded/.test(outcome.cause.message)) {
          summary.alreadyThere++;
          lines[i] = reportLine(job.name, 'already-there', '', outcome.cause.message);
        } else {
          summary.failed++;
          lines[i] = reportLine(job.name, 'failed', '', outcome.cause.message);
        }
      });
      await report.write(lines.join(''));
      bar?.update(Math.min(jobs.length, start + batch.length));
    }
  } finally {
    bar?.stop();
    await report.close();
  }
  return summary;
}

/** The import input of a job, or why it cannot be imported (unreadable file, bad holder, medium or organization). */
async function checkJob(job: ImportJob, organizationId: (code: string) => Promise<string | undefined>): Promise<ImportInput | string> {
  if (!job.name) return 'the row names no file';
  if (!(HOLDERS as readonly string[]).includes(job.holder)) return `holder must be one of ${HOLDERS.join(', ')}`;
  if (!(MEDIA as readonly string[]).includes(job.medium)) return `medium must be one of ${MEDIA.join(', ')}`;
  const orgId = await organizationId(job.organization);
  if (!orgId) return `no organization with code "${job.organization}"`;
  let bytes: Buffer;
  try {
    bytes = readFileSync(job.file);
  } catch (err) {
    return `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  // DER files start with a SEQUENCE; anything else is taken as PEM text.
  const pem = bytes[0] === 0x30 ? toPem(bytes, 'CERTIFICATE') : bytes.toString('latin1');
  return { pem, holder: job.holder as Holder, medium: job.medium as Medium, organizationId: orgId };
}

function reportLine(file: string, outcome: string, serial: string, message: string): string {
  return `${[file, outcome, serial, message].map(cell).join(',')}\n`;
}

