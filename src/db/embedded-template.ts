import { createHash } from 'node:crypto';
import { chmodSync, constants, cpSync, existsSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIGRATIONS_DIR } from './migrate.js';

/*
 * A pre-migrated embedded data directory (issue #12 item 6). On an empty KYSO_DATA_DIR, PGlite's
 * initdb costs ~8 s of CPU (WebAssembly) and leaves its second WebAssembly memory behind (RSS
 * ~600 MB instead of ~300 MB), and the migrations another ~1 s; copying a 40 MB directory made
 * once at install time (`npm install` → prepare, `npm start` → prestart) costs ~0.2 s. The
 * template is keyed by the PGlite version and every migration file, so a changed migration or a
 * PGlite upgrade makes a new one; when none matches, the first start runs initdb and the
 * migrations as before. scripts/embedded-template.ts makes it.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE_DIR = path.join(REPO, 'node_modules', '.cache', 'kyso');

/** Where the template for this PGlite version and these migrations lives (it may not exist yet). */
export function embeddedTemplateDir(): string {
  const hash = createHash('sha256');
  // The package does not export its package.json: read it beside its entry point (dist/).
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  hash.update(readFileSync(path.join(path.dirname(entry), '..', 'package.json')));
  for (const name of readdirSync(MIGRATIONS_DIR).sort()) {
    hash.update(`${name}\n`).update(readFileSync(path.join(MIGRATIONS_DIR, name)));
  }
  return path.join(CACHE_DIR, `pgdata-${hash.digest('hex').slice(0, 16)}`);
}

/**
 * Fills a missing `pgdata` from `template` when there is one; returns whether it did. The copy
 * goes to a temporary name first, so an interrupted copy is never taken for a database.
 */
export function seedFromTemplate(pgdata: string, template?: string): boolean {
  if (existsSync(pgdata)) return false; // every later start: no need to hash the migrations
  template ??= embeddedTemplateDir();
  if (!existsSync(template)) return false;
  const partial = `${pgdata}.seeding-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  // A copy-on-write clone where the file system has them (btrfs, XFS), else a plain copy.
  cpSync(template, partial, { recursive: true, mode: constants.COPYFILE_FICLONE });
  chmodSync(partial, 0o700);
  renameSync(partial, pgdata);
  return true;
}
