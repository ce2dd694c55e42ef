import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { toPem } from '../../src/pki/pem.js';
import { startKyso } from '../../src/server.js';
import { foreignCa } from '../support/foreign-ca.js';
import { withDatabase } from '../support/global-setup.js';
import { freePort, startTestKyso, type TestKyso } from '../support/kyso.js';
import { cliEnv, kyso } from './support.js';

const onPostgres = Boolean(process.env.DATABASE_URL);
const FILES = 2000;

// The real `kyso` binary against a real database: import with a report and resume, export, users,
// audit, backup and restore, exit codes.
// Each test runs the binary several times (tsx start-up, ~2–10 s each on a loaded machine).
describe('the admin CLI', { timeout: 300_000 }, () => {
  let t: TestKyso;
  let work: string;
  let env: Record<string, string>;
  let organizationCode: string;
  let serverStopped = false;

  beforeAll(async () => {
    t = await startTestKyso();
    work = mkdtempSync(path.join(os.tmpdir(), 'kyso-cli-'));
    env = cliEnv(t.config);
    const admin = await t.adminToken();
    organizationCode = `01${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const org = await t.http().post('/api/v1/organizations').set('Authorization', `Bearer ${admin}`).send({ name: 'Sở Tư pháp', code: organizationCode, sector: 'justice', province: 'Hà Nội' });
    expect(org.status).toBe(201);
    const national = await foreignCa();
    const anchor = await t.http().post('/api/v1/trust-anchors').set('Authorization', `Bearer ${admin}`).send({ name: 'National test CA', pem: toPem(national.certificate, 'CERTIFICATE') });
    expect(anchor.status).toBe(201);
    // 2,000 files: PEM, DER and .cer, one of them broken.
    const folder = path.join(work, 'national');
    mkdirSync(path.join(folder, 'nested'), { recursive: true });
    national.leaves(FILES - 1).forEach((der, i) => {
      const ext = ['pem', 'der', 'cer'][i % 3]!;
      const file = path.join(folder, i % 10 === 0 ? 'nested' : '', `cert-${String(i).padStart(4, '0')}.${ext}`);
      writeFileSync(file, ext === 'der' ? der : toPem(der, 'CERTIFICATE'));
    });
    writeFileSync(path.join(folder, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    if (!onPostgres) {
      // The embedded database is the server's alone while it runs: the CLI must say so.
      const refused = await kyso(['audit', 'verify'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toMatch(/^kyso: the embedded database in .* is in use by another kyso process/);
      await t.kyso.close();
      serverStopped = true;
    }
  });

  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('imports a folder of 2,000 files, reports the broken one, and skips what is there on a re-run', async () => {
    const args = ['import', path.join(work, 'national'), '--holder', 'individual', '--medium', 'token', '--organization', organizationCode];
    const report = path.join(work, 'report.csv');
    const first = await kyso([...args, '--report', report], env);
    expect(first.stdout).toContain(`${FILES} files: ${FILES - 1} imported, 0 already there, 1 failed`);
    expect(first.code).toBe(1);
    expect(first.stderr.trim()).toBe(`kyso: 1 of ${FILES} files were not imported: see ${report}`);
    const lines = readFileSync(report, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('file,outcome,serial,message');
    expect(lines).toHaveLength(FILES + 1);
    expect(lines.filter((l) => l.includes(',imported,'))).toHaveLength(FILES - 1);
    expect(lines.find((l) => l.startsWith('broken.pem,'))).toMatch(/^broken\.pem,failed,,.*not an X\.509 certificate/);

    const again = await kyso([...args, '--report', path.join(work, 'report2.csv')], env);
    expect(again.stdout).toContain(`${FILES} files: 0 imported, ${FILES - 1} already there, 1 failed`);
    unlinkSync(path.join(work, 'national', 'broken.pem'));
    const clean = await kyso([...args, '--report', path.join(work, 'report3.csv')], env);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(`${FILES - 1} files: 0 imported, ${FILES - 1} already there, 0 failed`);
  });

  it('imports from a CSV naming files, holders, media and organization codes', async () => {
    const national = await foreignCa('Second National CA');
    const admin = onPostgres ? await t.adminToken() : undefined;
    if (admin) {
      const res = await t.http().post('/api/v1/trust-anchors').set('Authorization', `Bearer ${admin}`).send({ name: 'Second', pem: toPem(national.certificate, 'CERTIFICATE') });
      expect(res.status).toBe(201);
    }
    const dir = path.join(work, 'csv');
    mkdirSync(dir);
    const [a, b] = national.leaves(2);
    writeFileSync(path.join(dir, 'a.pem'), toPem(a!, 'CERTIFICATE'));
    writeFileSync(path.join(dir, 'b.der'), b!);
    writeFileSync(path.join(dir, 'list.csv'), `file,holder,medium,organization\na.pem,individual,sim,${organizationCode}\nb.der,organization,file,${organizationCode}\nmissing.pem,individual,token,${organizationCode}\na.pem,robot,token,${organizationCode}\n`);
    const run = await kyso(['import', path.join(dir, 'list.csv'), '--report', path.join(dir, 'r.csv')], env);
    const report = readFileSync(path.join(dir, 'r.csv'), 'utf8');
    expect(report).toMatch(/missing\.pem,failed,,cannot read the file: ENOENT/);
    expect(report).toContain('a.pem,failed,,"holder must be one of individual, organization"');
    // on the embedded database the second anchor is not registered (no server to ask): the issuer is unknown
    if (onPostgres) expect(run.stdout).toContain('4 files: 2 imported, 0 already there, 2 failed');
    else expect(report).toMatch(/a\.pem,failed,,"the issuer .* is neither a built-in CA nor a trust anchor"/);
    expect(run.code).toBe(1);
  });

  it('exports every certificate as CSV and as PEM', async () => {
    const csv = await kyso(['export', 'certificates', '--format', 'csv'], env);
    expect(csv.code).toBe(0);
    const rows = csv.stdout.trim().split('\n');
    expect(rows[0]).toBe('serial,subject,issuer,holder,medium,organization,status,not_before,not_after,source,fingerprint_sha256');
    expect(rows.filter((r) => r.includes(`,${organizationCode},`)).length).toBeGreaterThanOrEqual(FILES - 1);
    const pemFile = path.join(work, 'all.pem');
    const pem = await kyso(['export', 'certificates', '--format', 'pem', '--out', pemFile], env);
    expect(pem.code).toBe(0);
    const count = (readFileSync(pemFile, 'utf8').match(/BEGIN CERTIFICATE/g) ?? []).length;
    expect(pem.stdout.trim()).toBe(`${count} certificates written to ${pemFile}`);
    expect(count).toBe(rows.length - 1);
  });

  it('answers an output it cannot write with exit code 1 and one line, no stack trace', async () => {
    const nowhere = path.join(work, 'no-such-folder');
    const exported = await kyso(['export', 'certificates', '--format', 'csv', '--out', path.join(nowhere, 'x.csv')], env);
    expect(exported).toMatchObject({ code: 1, stderr: `kyso: cannot write ${path.join(nowhere, 'x.csv')}: ENOENT: no such file or directory\n` });
    const args = ['import', path.join(work, 'national'), '--holder', 'individual', '--medium', 'token', '--organization', organizationCode];
    const imported = await kyso([...args, '--report', path.join(nowhere, 'r.csv')], env);
    expect(imported).toMatchObject({ code: 1, stderr: `kyso: cannot write ${path.join(nowhere, 'r.csv')}: ENOENT: no such file or directory\n` });
    expect(imported.stdout).toBe(''); // refused before importing anything
    if (existsSync('/dev/full')) {
      // opens, then every write fails: the error comes from the stream, not from opening it
      const full = await kyso(['export', 'certificates', '--format', 'csv', '--out', '/dev/full'], env);
      expect(full).toMatchObject({ code: 1, stderr: 'kyso: cannot write /dev/full: ENOSPC: no space left on device\n' });
    }
  });

  it('checks the arguments of import before opening the database, so bad usage creates nothing', async () => {
    const dataDir = mkdtempSync(path.join(work, 'fresh-'));
    const fresh = { KYSO_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }; // embedded, no master key given: opening would create both
    const noOptions = await kyso(['import', path.join(work, 'national')], fresh);
    expect(noOptions).toMatchObject({ code: 2, stderr: 'kyso: importing a folder needs --holder, --medium, --organization\n' });
    const noSource = await kyso(['import', path.join(work, 'nope')], fresh);
    expect(noSource.code).toBe(2);
    expect(readdirSync(dataDir)).toEqual([]); // no pgdata/, no master.key
  });

  it('resets a password (the old one stops working) and verifies the audit trail', async () => {
    const reset = await kyso(['users', 'reset-password', 'admin'], env);
    expect(reset.code).toBe(0);
    const password = /new password for admin: (\S+)/.exec(reset.stdout)![1]!;
    expect(password.length).toBeGreaterThanOrEqual(16);
    if (!serverStopped) {
      expect((await t.http().post('/api/v1/auth/login').send({ username: 'admin', password: 'admin-password-for-tests' })).status).toBe(401);
      expect((await t.http().post('/api/v1/auth/login').send({ username: 'admin', password })).status).toBe(200);
    }
    expect((await kyso(['users', 'reset-password', 'nobody-here'], env)).stderr.trim()).toBe('kyso: no user "nobody-here"');
    const audit = await kyso(['audit', 'verify'], env);
    expect(audit.stdout).toMatch(/^audit chain intact: \d+ events/);
    expect(audit.code).toBe(0);
  });

  it('backs up and restores into an empty database a kyso with the same CA, certificates and audit chain', async () => {
    const file = path.join(work, 'kyso.backup');
    const done = await kyso(['backup', file], env);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    const restoredDir = path.join(work, 'restored');
    let restoredUrl: string | undefined;
    let drop = async () => {};
    if (onPostgres) {
      const name = `kyso_restore_${process.pid}_${Date.now()}`;
      const admin = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL!, pool: { min: 0, max: 1 } });
      await admin.raw(`create database ${name}`);
      await admin.destroy();
      restoredUrl = withDatabase(process.env.DATABASE_URL!, name);
      drop = async () => {
        const a = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL!, pool: { min: 0, max: 1 } });
        await a.raw(`drop database if exists ${name} with (force)`);
        await a.destroy();
      };
    }
    try {
      const restoreEnv: Record<string, string> = { ...env, KYSO_DATA_DIR: restoredDir, ...(restoredUrl ? { DATABASE_URL: restoredUrl } : {}) };
      // the development master key lives in the data directory: on PostgreSQL bring it along
      if (onPostgres) restoreEnv.KYSO_MASTER_KEY = readFileSync(path.join(t.config.dataDir, 'master.key'), 'utf8').trim();
      const restored = await kyso(['restore', file], restoreEnv);
      expect(restored.stderr).toBe('');
      expect(restored.code).toBe(0);
      expect((await kyso(['restore', file], restoreEnv)).code).toBe(1); // not empty any more
      const original = await kyso(['export', 'certificates', '--format', 'csv'], env);
      const copy = await kyso(['export', 'certificates', '--format', 'csv'], restoreEnv);
      expect(copy.stdout).toBe(original.stdout);
      expect((await kyso(['audit', 'verify'], restoreEnv)).stdout).toBe((await kyso(['audit', 'verify'], env)).stdout);
      const config = loadConfig({ ...restoreEnv, PORT: String(await freePort()), KYSO_CERTS_DEV_DIR: path.join(work, 'restored-certs') });
      const again = await startKyso(config, createLogger('silent'));
      try {
        const cas = (await fetch(`${again.url}/pki/ca`).then((r) => r.json())) as Array<{ serial: string }>;
        const before = t.kyso.services.authorities.all().filter((a) => a.kind === 'root' || a.kind === 'issuing').map((a) => a.row.serial);
        expect(cas.map((c) => c.serial)).toEqual(before);
        // the restored CA key still signs: a CRL from it
        expect((await fetch(`${again.url}/pki/crl/dev-issuing.crl`)).status).toBe(200);
      } finally {
        await again.close();
      }
    } finally {
      await drop();
    }
  });

  it('answers bad usage with exit code 2 and one line, and --help with 0', async () => {
    const unknown = await kyso(['frobnicate'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^kyso: unknown command 'frobnicate'\n$/);
    const missing = await kyso(['export', 'certificates'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("kyso: required option '--format <format>' not specified\n");
    const badFormat = await kyso(['export', 'certificates', '--format', 'xml'], env);
    expect(badFormat.code).toBe(2);
    const noFolder = await kyso(['import', path.join(work, 'nope')], env);
    expect(noFolder).toMatchObject({ code: 2, stderr: `kyso: ${path.join(work, 'nope')}: no such file or folder\n` });
    const noOptions = await kyso(['import', work], env);
    expect(noOptions).toMatchObject({ code: 2, stderr: 'kyso: importing a folder needs --holder, --medium, --organization\n' });
    const badEnv = await kyso(['audit', 'verify'], { ...env, PORT: 'many' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr.trim().split('\n')).toHaveLength(1);
    for (const command of [[], ['ca', 'status'], ['import'], ['export', 'certificates'], ['users', 'reset-password'], ['restore']]) {
      const help = await kyso([...command, '--help'], env);
      expect(help.code, command.join(' ')).toBe(0);
      expect(help.stdout).toMatch(/^Usage: kyso/);
    }
  });
});
