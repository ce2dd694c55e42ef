import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedTemplateDir, seedFromTemplate } from '../../src/db/embedded-template.js';

// The embedded first start copies a pre-migrated data directory instead of running initdb and the
// migrations (issue #12 item 6); tests/foundation/embedded-start.test.ts runs the real start on it.
const root = mkdtempSync(path.join(os.tmpdir(), 'kyso-template-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function template(): string {
  const dir = mkdtempSync(path.join(root, 'template-'));
  mkdirSync(path.join(dir, 'base', '1'), { recursive: true });
  writeFileSync(path.join(dir, 'PG_VERSION'), '18\n');
  writeFileSync(path.join(dir, 'base', '1', '1259'), Buffer.from([1, 2, 3]));
  return dir;
}

describe('the pre-migrated embedded template', () => {
  it('fills a missing data directory with a private copy and nothing left half-made', () => {
    const from = template();
    const dataDir = mkdtempSync(path.join(root, 'data-'));
    const pgdata = path.join(dataDir, 'pgdata');
    expect(seedFromTemplate(pgdata, from)).toBe(true);
    expect(readFileSync(path.join(pgdata, 'PG_VERSION'), 'utf8')).toBe('18\n');
    expect([...readFileSync(path.join(pgdata, 'base', '1', '1259'))]).toEqual([1, 2, 3]);
    expect(statSync(pgdata).mode & 0o777).toBe(0o700);
    expect(readdirSync(dataDir)).toEqual(['pgdata']);
    // the copy is the database's own: writing it leaves the template as it was
    writeFileSync(path.join(pgdata, 'base', '1', '1259'), 'changed');
    expect([...readFileSync(path.join(from, 'base', '1', '1259'))]).toEqual([1, 2, 3]);
  });

  it('never touches an existing database and does nothing without a template', () => {
    const from = template();
    const pgdata = path.join(mkdtempSync(path.join(root, 'data-')), 'pgdata');
    mkdirSync(pgdata);
    writeFileSync(path.join(pgdata, 'PG_VERSION'), 'mine');
    expect(seedFromTemplate(pgdata, from)).toBe(false);
    expect(readFileSync(path.join(pgdata, 'PG_VERSION'), 'utf8')).toBe('mine');
    const empty = path.join(mkdtempSync(path.join(root, 'data-')), 'pgdata');
    expect(seedFromTemplate(empty, path.join(root, 'no-such-template'))).toBe(false);
    expect(existsSync(empty)).toBe(false);
  });

  it('has one stable name for this PGlite version and these migrations', () => {
    const name = path.basename(embeddedTemplateDir());
    expect(name).toMatch(/^pgdata-[0-9a-f]{16}$/);
    expect(embeddedTemplateDir()).toBe(embeddedTemplateDir());
  });
});
