import { execFile } from 'node:child_process';

/**
 * Runs an independent validator (openssl, GnuTLS, NSS tools) without blocking the event loop, so
 * it may call back into the kyso under test in this process. Both streams are kept: OpenSSL and
 * GnuTLS print verdicts on stderr (stack-notes.md).
 */
export function tool(command: string, args: readonly string[], cwd?: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(err as Error);
      resolve({ ok: !err, output: `${stdout}${stderr}` });
    });
  });
}
