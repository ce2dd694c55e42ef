import type { Request, RequestHandler } from 'express';
import busboy from 'busboy';
import { BadRequest, TooLarge, type DomainError } from '../errors.js';

/** The file parts of each multipart request parsed by `multipartInMemory`, by part name. */
const fileParts = new WeakMap<Request, ReadonlyMap<string, Buffer>>();

/** What a multipart body may hold: one part per file name, each with its own size limit, and text fields. */
export interface MultipartParts {
  readonly files: ReadonlyArray<{ readonly name: string; readonly maxBytes: number }>;
  /** Text fields (any name, at most this many); they become `req.body`. */
  readonly fields?: readonly string[];
  /** Largest text field, 64 KB unless set. */
  readonly maxFieldBytes?: number;
}

/**
 * Multipart parsing (busboy) of named file parts and text fields into memory, for bodies whose parts
 * are small enough to hold: text fields become `req.body`, files are read with `filePart`. A part
 * over its limit is a 413, any other fault (an unexpected or repeated file part, too many parts, a
 * broken body) a 400; the rest of the body is read and dropped first, so the client gets the problem
 * instead of a reset connection. A request that is not multipart passes through untouched.
 */
export function multipartInMemory(parts: MultipartParts): RequestHandler {
  const maxFieldBytes = parts.maxFieldBytes ?? 64 * 1024;
  const names = parts.files.map((f) => `"${f.name}"`).join(', ');
  return (req, _res, next) => {
    if (!req.is('multipart/form-data')) {
      next();
      return;
    }
    let parser: busboy.Busboy;
    try {
      // busboy truncates a field at fieldSize: one byte more tells "at the limit" from "over it".
      parser = busboy({
        headers: req.headers,
        limits: { fieldSize: maxFieldBytes + 1, files: parts.files.length, fields: parts.fields?.length ?? 0 },
        defParamCharset: 'utf8',
      });
    } catch (err) {
      next(new BadRequest(`malformed multipart body: ${(err as Error).message}`));
      return;
    }
    const body = Object.create(null) as Record<string, string>; // no prototype: a part may be named "__proto__"
    const files = new Map<string, Buffer>();
    let reading = 0;
    let parsed = false;
    let done = false;
    const finish = (problem?: DomainError) => {
      if (done || (!problem && (!parsed || reading > 0))) return;
      done = true;
      if (!problem) {
        req.body = body;
        fileParts.set(req, files);
        next();
        return;
      }
      req.unpipe(parser);
      req.resume();
      if (!req.readable || req.destroyed) {
        next(problem);
        return;
      }
      let answered = false;
      const answer = () => {
        if (answered) return;
        answered = true;
        next(problem);
      };
      req.once('end', answer).once('close', answer).once('error', answer);
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) finish(new TooLarge(`the part "${name}" is larger than ${maxFieldBytes} bytes`));
      else if (info.nameTruncated) finish(new BadRequest('malformed multipart body: a part name is too long'));
      else if (Object.hasOwn(body, name)) finish(new BadRequest(`the part "${name}" is sent twice`));
      else body[name] = value;
    });
    parser.on('file', (name, stream) => {
      const spec = parts.files.find((f) => f.name === name);
      if (!spec || files.has(name)) {
        stream.resume();
        finish(new BadRequest(spec ? `the part "${name}" is sent twice` : `unexpected file part "${name}": send ${names}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      reading++;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > spec.maxBytes) {
          finish(new TooLarge(`the part "${name}" is larger than ${spec.maxBytes} bytes`));
          stream.resume();
        } else chunks.push(chunk);
      });
      stream.on('error', (err: Error) => finish(new BadRequest(`malformed multipart body: ${err.message}`)));
      stream.on('end', () => {
        reading--;
        files.set(name, Buffer.concat(chunks));
        finish();
      });
    });
    parser.on('filesLimit', () => finish(new BadRequest(`malformed multipart body: too many files (send ${names})`)));
    parser.on('fieldsLimit', () => finish(new BadRequest('malformed multipart body: too many fields')));
    parser.on('error', (err: Error) => finish(new BadRequest(`malformed multipart body: ${err.message}`)));
    parser.on('close', () => {
      parsed = true;
      finish();
    });
    req.pipe(parser);
  };
}

/** The bytes of the uploaded file part `name`, if any. */
export function filePart(req: Request, name: string): Buffer | undefined {
  return fileParts.get(req)?.get(name);
}
