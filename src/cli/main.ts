import { readFileSync, writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { verifyAuditChain } from '../audit/verify.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { DataDirLocked } from '../db/connect.js';
import { DomainError } from '../errors.js';
import { createLogger } from '../log.js';
import { toPem } from '../pki/pem.js';
import { backup, restore } from './backup.js';
import { caStatus } from './ca.js';
import { openCli, type CliContext } from './context.js';
import { CommandFailed, UsageError } from './errors.js';
import { exportCertificates } from './export.js';
import { importJobs, runImport } from './import.js';
import { resetPassword } from './users.js';

/**
 * `npx kyso <command>`: the admin CLI (api.md "Operations"), on the server's configuration (the
 * same environment variables) and services. Exit codes: 0 done, 1 failed, 2 bad usage.
 */
function program(): Command {
  const cli = new Command('kyso')
    .description('kyso admin commands, on the same configuration (environment variables) as the server')
    .addOption(new Option('--as <username>', 'user the audit trail names for this command').default('admin'))
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(`kyso: ${message.replace(/^error: /, '').trim()}\n`) });

  const ca = cli.command('ca').description('the certificate authorities');
  ca.command('status')
    .description('list the CAs: kind, subject, validity, where the key is, certificates issued')
    .action(withKyso(async (ctx) => console.log(await caStatus(ctx))));
  ca.command('export-csr')
    .description('make the key of a new issuing CA (in the PKCS#11 token when configured) and write its CSR for an external root to sign')
    .requiredOption('--out <file>', 'where to write the CSR (PEM)')
    .requiredOption('--common-name <cn>', "the new CA's commonName")
    .requiredOption('--organization <o>', "the new CA's organizationName")
    .option('--country <c>', "the new CA's countryName", 'VN')
    .option('--name <slug>', 'the CA name in kyso (URLs /pki/ca/<name>.crt, /pki/crl/<name>.crl)', `issuing-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`)
    .action(
      withKyso(async (ctx, options: { out: string; commonName: string; organization: string; country: string; name: string }) => {
        const csr = await ctx.services.caOperations.exportCsr(await ctx.actor(), options);
        writeFileSync(options.out, toPem(csr, 'CERTIFICATE REQUEST'));
        console.log(`CSR for the new issuing CA ${options.name} written to ${options.out}; have the root sign it, then run: kyso ca import-certificate <file>`);
      }),
    );
  ca.command('import-certificate')
    .description('install the certificate an external root signed for the key of `ca export-csr` (the file may carry the chain)')
    .argument('<file>', 'PEM (one or more certificates) or DER')
    .action(
      withKyso(async (ctx, file: string) => {
        const authority = await ctx.services.caOperations.importCertificate(await ctx.actor(), readInput(file));
        const chain = ctx.services.authorities.chain(authority).map((a) => a.name).join(' → ');
        console.log(`${authority.name} installed and issuing now: ${authority.row.subject_dn} (chain ${chain})`);
      }),
    );
  ca.command('rollover')
    .description('a new issuing CA key and certificate under the same root; it issues from now on, the old CA keeps CRL and OCSP for its certificates')
    .option('--name <slug>', 'the new CA name (default: the current name with the next -gN)')
    .action(
      withKyso(async (ctx, options: { name?: string }) => {
        const previous = ctx.services.authorities.issuing();
        const authority = await ctx.services.caOperations.rollover(await ctx.actor(), options);
        console.log(`${authority.name} issuing now: ${authority.row.subject_dn}, until ${authority.row.not_after.toISOString()}; ${previous.name} keeps answering CRL and OCSP for its certificates`);
      }),
    );

  cli
    .command('import')
    .description('import certificates issued elsewhere: a folder of .pem/.der/.cer files, or a CSV file,holder,medium,organization')
    .argument('<source>', 'folder or .csv file')
    .option('--holder <holder>', 'individual | organization (folder import)')
    .option('--medium <medium>', 'token | sim | remote | file (folder import)')
    .option('--organization <code>', "the organization's code (folder import)")
    .option('--report <file>', 'per-file report (CSV)', 'kyso-import-report.csv')
    .option('--no-progress', 'no progress bar')
    .action(
      async (source: string, options: { holder?: string; medium?: string; organization?: string; report: string; progress: boolean }, command: Command) => {
        // Checked before the database is opened, so bad usage creates nothing (no pgdata/, no master.key).
        const jobs = importJobs(source, options);
        await inKyso(command, async (ctx) => {
          const started = Date.now();
          const summary = await runImport(ctx, jobs, options.report, options.progress && process.stderr.isTTY === true);
          const seconds = (Date.now() - started) / 1000;
          console.log(
            `${jobs.length} files: ${summary.imported} imported, ${summary.alreadyThere} already there, ${summary.failed} failed ` +
              `(${Math.round(jobs.length / Math.max(seconds, 0.001))} files/s); report: ${options.report}`,
          );
          if (summary.failed > 0) throw new CommandFailed(`${summary.failed} of ${jobs.length} files were not imported: see ${options.report}`);
        });
      },
    );

  const exportCommand = cli.command('export').description('export data');
  exportCommand
    .command('certificates')
    .description('every certificate, as CSV or concatenated PEM')
    .addOption(new Option('--format <format>', 'csv or pem').choices(['csv', 'pem']).makeOptionMandatory())
    .option('--out <file>', 'write to this file instead of standard output')
    .action(
      withKyso(async (ctx, options: { format: 'csv' | 'pem'; out?: string }) => {
        const count = await exportCertificates(ctx, options.format, options.out);
        if (options.out) console.log(`${count} certificates written to ${options.out}`);
      }),
    );

  const users = cli.command('users').description('user accounts');
  users
    .command('reset-password')
    .description("set a new random password (printed once) and end the user's sessions")
    .argument('<username>')
    .action(
      withKyso(async (ctx, username: string) => {
        const password = await resetPassword(ctx, username);
        console.log(`new password for ${username}: ${password}`);
      }),
    );

  const audit = cli.command('audit').description('the audit trail');
  audit
    .command('verify')
    .description('recompute the hash chain of the audit trail')
    .action(
      withKyso(async (ctx) => {
        await ctx.services.auditSequencer.drain();
        const result = await verifyAuditChain(ctx.services.knex, ctx.services.authorities);
        if (!result.ok) throw new CommandFailed(`audit log broken at event ${result.firstBrokenSeq}: ${result.reason ?? 'altered'} (${result.checked} events verified before it)`);
        console.log(`audit chain intact: ${result.checked} events, ${result.checkpoints} signed checkpoints, ${result.pending} not yet chained`);
      }),
    );

  cli
    .command('backup')
    .description('PostgreSQL: pg_dump custom format; embedded: a copy of the data directory (refused while the server runs)')
    .argument('<file>')
    .action(withConfig(async (config, file: string) => console.log(await backup(config, file))));
  cli
    .command('restore')
    .description('restore a backup into an empty database (PostgreSQL) or an empty KYSO_DATA_DIR (embedded)')
    .argument('<file>')
    .action(withConfig(async (config, file: string) => console.log(await restore(config, file))));
  return cli;
}

/** Runs an action with the configuration only (no database opened). */
function withConfig<A extends unknown[]>(action: (config: Config, ...args: A) => Promise<void>) {
  return async (...args: A) => action(config(), ...args);
}

/** Runs an action with kyso opened (database, vault, services), closing it afterwards. */
function withKyso<A extends unknown[]>(action: (ctx: CliContext, ...args: A) => Promise<void>) {
  return async (...args: A) => inKyso(args[args.length - 1] as Command, (ctx) => action(ctx, ...args));
}

/** Opens kyso for `command` (the user its --as names), runs `work`, and closes kyso. */
async function inKyso(command: Command, work: (ctx: CliContext) => Promise<void>): Promise<void> {
  const cfg = config();
  const ctx = await openCli(cfg, createLogger(process.env.LOG_LEVEL ?? 'silent', process.stderr as never), {
    as: command.optsWithGlobals().as as string,
  });
  try {
    await work(ctx);
  } finally {
    await ctx.close();
  }
}

/** A file the command reads; a missing one is a usage error. */
function readInput(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    throw new UsageError(`${file}: no such file`);
  }
}

function config(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message.replace(/\n\s*/g, ' '));
    throw err;
  }
}

/** Runs the CLI and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander printed the message (or the help) already.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version' ? 0 : 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`kyso: ${message.split('\n')[0]}\n`);
    if (err instanceof UsageError) return 2;
    if (err instanceof CommandFailed || err instanceof DataDirLocked || err instanceof DomainError) return 1;
    if (process.env.KYSO_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return 1;
  }
}
