import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toPem } from '../../src/pki/pem.js';

/** A temp directory for the files openssl and pdfsig read and write; `remove()` deletes it. */
export function scratch() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-test-'));
  const file = (name: string) => path.join(dir, name);
  const write = (name: string, data: Uint8Array | string) => {
    writeFileSync(file(name), data);
    return file(name);
  };
  return {
    dir,
    file,
    write,
    read: (name: string) => readFileSync(file(name)),
    /** Writes certificates (DER) as one PEM file. */
    pem: (name: string, ders: Uint8Array[]) => write(name, ders.map((d) => toPem(d, 'CERTIFICATE')).join('')),
    /** Runs a command in the directory; whether it succeeded and what it printed. */
    run: (cmd: string, args: string[]) => {
      const result = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' });
      if (result.error) throw result.error;
      return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
export type Scratch = ReturnType<typeof scratch>;
