import type { Request, RequestHandler } from 'express';
import busboy from 'busboy';
import { BadRequest, TooLarge, type DomainError } from '../errors.js';

/** The file parts of each multipart request parsed by `multipartInMemory`, by part name. */
const fileParts = new WeakMap<Request, ReadonlyMap<string, Buffer>>();

/** What a multipart body may hold: one part per file name, each with its own size limit, and text fields. */
export interface MultipartParts {
  readonly files: ReadonlyArray<{ readonly name: string; readonly maxBytes: number }>;
  /** The names of the text fields it may hold, each once; they become `req.body`. */
  readonly fields?: readonly string[];
  /** Largest text field, 64 KB unless set. */
  readonly maxFieldBytes?: number;
}

/**
 * A busboy parser for `req` (file names in UTF-8); a 400 when busboy cannot read its headers as a
 * multipart body. busboy truncates a part at its limit (fieldSize, fileSize) and says so only by
 * a flag: give it the largest size allowed plus one byte to tell "at the limit" from "over it".
 */
export function multipartParser(req: Request, limits: busboy.Limits): busboy.Busboy {
  try {
    return busboy({ headers: req.headers, limits, defParamCharset: 'utf8' });
  } catch (err) {
    throw new BadRequest(`malformed multipart body: ${(err as Error).message}`);
  }
}

/**
 * Stops parsing `req` and reads the rest of its body into the void, then calls `answer` once: a
 * problem answered while the client is still sending reaches it as a reset connection instead.
 */
export function drainThen(req: Request, parser: busboy.Busboy, answer: () => void): void {
  req.unpipe(parser);
  req.resume();
  if (!req.readable || req.destroyed) {
    answer();
    return;
  }
  let answered = false;
  const once = () => {
    if (answered) return;
    answered = true;
    answer();
  };
  req.once('end', once).once('close', once).once('error', once);
}

/**
 * Multipart parsing (busboy) of named file parts and text fields into memory, for bodies whose parts
 * are small enough to hold: text fields become `req.body`, files are read with `filePart`. A part
 * over its limit is a 413, any other fault (an unexpected or repeated part, too many parts, a broken
 * body) a 400; the rest of the body is read and dropped first, so the client gets the problem
 * instead of a reset connection. A request that is not multipart passes through untouched.
 */
export function multipartInMemory(parts: MultipartParts): RequestHandler {
  const maxFieldBytes = parts.maxFieldBytes ?? 64 * 1024;
  const fieldNames = parts.fields ?? [];
  const quoted = (names: readonly string[]) => names.map((name) => `"${name}"`).join(', ');
  const names = quoted(parts.files.map((f) => f.name));
  return (req, _res, next) => {
    if (!req.is('multipart/form-data')) {
      next();
      return;
    }
    let parser: busboy.Busboy;
    try {
      parser = multipartParser(req, { fieldSize: maxFieldBytes + 1, files: parts.files.length, fields: fieldNames.length });
    } catch (err) {
      next(err);
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
      drainThen(req, parser, () => next(problem));
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) finish(new TooLarge(`the part "${name}" is larger than ${maxFieldBytes} bytes`));
      else if (info.nameTruncated) finish(new BadRequest('malformed multipart body: a part name is too long'));
      else if (!fieldNames.includes(name)) finish(new BadRequest(`unexpected text part "${name}": send ${quoted(fieldNames)}`));
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
