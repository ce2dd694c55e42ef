import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { CommandFailed } from './errors.js';

/** A file (or standard output) a command writes, each write awaited. */
export interface Output {
  /** Writes `text`; a failure (disk full, pipe closed) is CommandFailed `cannot write <file>: …`. */
  write(text: string): Promise<void>;
  /** Flushes and closes the file; standard output stays open. */
  close(): Promise<void>;
}

/**
 * Opens `file` for writing, or standard output when it is undefined, and waits until it is open:
 * a missing folder or a refused permission becomes one `kyso: cannot write <file>: …` line (exit 1)
 * before the command does any work, instead of an unhandled 'error' event and its stack trace.
 */
export async function openOutput(file: string | undefined): Promise<Output> {
  const stream = file ? createWriteStream(file) : process.stdout;
  const failed = (err: unknown) => new CommandFailed(`cannot write ${file ?? 'standard output'}: ${reason(err)}`);
  // Without a listener an 'error' event ends the process with a stack trace; the error is kept
  // and thrown by the write or close that meets it.
  let failure: unknown;
  stream.on('error', (err) => (failure ??= err));
  if (file) {
    try {
      await once(stream, 'open');
    } catch (err) {
      throw failed(err);
    }
  }
  return {
    write: (text) =>
      new Promise<void>((resolve, reject) => {
        if (failure) return reject(failed(failure));
        stream.write(text, (err) => (err ? reject(failed(failure ?? err)) : resolve()));
      }),
    close: async () => {
      if (failure) throw failed(failure);
      if (stream === process.stdout) return;
      stream.end();
      try {
        await finished(stream);
      } catch (err) {
        throw failed(failure ?? err);
      }
    },
  };
}

/** Node's "ENOENT: no such file or directory, open '/x/y.csv'" without the system call and path: the line names the file already. */
function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { syscall } = err as NodeJS.ErrnoException;
  return syscall ? err.message.replace(new RegExp(`, ${syscall}( '.*')?$`, 's'), '') : err.message;
}
