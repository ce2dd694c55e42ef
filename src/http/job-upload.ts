import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Request } from 'express';
import type busboy from 'busboy';
import { BadRequest, TooLarge, type DomainError } from '../errors.js';
import type { StagedFile } from '../signing/jobs.js';
import { drainThen, multipartParser } from './multipart.js';

/** What a sign-job upload held: its `options` field and the files, already on disk. */
export interface JobUpload {
  readonly options: string | undefined;
  readonly files: StagedFile[];
}

/** Largest `options` part. */
const MAX_OPTIONS_BYTES = 64 * 1024;

/**
 * Streams a multipart sign-job body to `dir` (busboy): each `documents` part to its own file, the
 * `options` part kept as text. Nothing is held in memory but the current chunk. Past `maxFiles`
 * files or `maxBytes` in all, the rest is read and dropped and the upload answers 413, so the
 * client gets the problem instead of a reset connection.
 */
export function receiveJobUpload(req: Request, dir: string, limits: { maxFiles: number; maxBytes: number }): Promise<JobUpload> {
  return new Promise((resolve, reject) => {
    if (!req.is('multipart/form-data')) {
      reject(new BadRequest('send multipart/form-data: a part "options" (JSON) and the PDFs in parts "documents"'));
      return;
    }
    let parser: busboy.Busboy;
    try {
      // One byte over each limit (multipartParser): a file cut at exactly maxBytes was taken whole.
      parser = multipartParser(req, { files: limits.maxFiles, fileSize: limits.maxBytes + 1, fields: 4, fieldSize: MAX_OPTIONS_BYTES + 1 });
    } catch (err) {
      reject(err as Error);
      return;
    }
    const files: StagedFile[] = [];
    const writes: Array<Promise<void>> = [];
    let options: string | undefined;
    let total = 0;
    let problem: DomainError | undefined;
    let broken = false;
    const fail = (err: DomainError) => {
      problem ??= err;
    };
    const settle = () => void Promise.all(writes).then(() => (problem ? reject(problem) : resolve({ options, files })));
    parser.on('field', (name, value, info) => {
      if (name !== 'options') fail(new BadRequest(`unexpected field "${name}": send "options" and "documents"`));
      else if (info.valueTruncated) fail(new TooLarge(`the "options" part is larger than ${MAX_OPTIONS_BYTES / 1024} KB`));
      else options = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'documents' || problem) {
        if (name !== 'documents') fail(new BadRequest(`unexpected file part "${name}": PDFs go in parts named "documents"`));
        stream.resume();
        return;
      }
      const file = { name: safeName(info.filename, files.length), path: path.join(dir, `${String(files.length).padStart(4, '0')}.pdf`) };
      files.push(file);
      // Counts every file's bytes against the job's total; one file over maxBytes gets here too,
      // busboy having passed it maxBytes + 1 bytes.
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          total += chunk.length;
          if (total > limits.maxBytes) {
            fail(new TooLarge(`a job takes at most ${limits.maxBytes / 1024 / 1024} MB of documents`));
            done();
            return;
          }
          done(null, chunk);
        },
      });
      writes.push(
        pipeline(stream, counter, createWriteStream(file.path, { mode: 0o600 })).catch((err: Error) => fail(new BadRequest(`the upload broke off: ${err.message}`))),
      );
    });
    parser.on('filesLimit', () => fail(new TooLarge(`a job takes at most ${limits.maxFiles} documents`)));
    parser.on('error', (err: Error) => {
      broken = true;
      fail(new BadRequest(`malformed multipart body: ${err.message}`));
      drainThen(req, parser, settle);
    });
    // After an error busboy closes too: the answer then waits for the rest of the body (drainThen).
    parser.on('close', () => {
      if (!broken) settle();
    });
    req.pipe(parser);
  });
}

/** The file's own name without any directory, printable, ending in .pdf; `document-N.pdf` when it has none. */
function safeName(filename: string | undefined, index: number): string {
  const base = path.basename((filename ?? '').replace(/\\/g, '/')).replace(/[\p{Cc}\p{Cf}"*:<>?|]/gu, '_').trim().slice(0, 200);
  if (!base || base === '.' || base === '..') return `document-${index + 1}.pdf`;
  return /\.pdf$/i.test(base) ? base : `${base}.pdf`;
}
