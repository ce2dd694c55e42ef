import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../src/db/connect.js';
import { embeddedTemplateDir } from '../src/db/embedded-template.js';
import { migrateLatest } from '../src/db/migrate.js';

// Makes the pre-migrated embedded data directory the first start copies (src/db/embedded-template.ts).
// Runs from `npm install` (prepare) and `npm start` (prestart); does nothing when it exists. It is
// built beside its final place and renamed into it, so a start never sees half of one. With
// DATABASE_URL set the embedded database is not used: nothing to make.
const dir = embeddedTemplateDir();
if (!process.env.DATABASE_URL && !existsSync(dir)) {
  const started = Date.now();
  mkdirSync(path.dirname(dir), { recursive: true });
  const work = mkdtempSync(`${dir}.build-`);
  try {
    const db = await openDatabase({ dataDir: work });
    try {
      await migrateLatest(db.knex);
    } finally {
      await db.close();
    }
    try {
      renameSync(path.join(work, 'pgdata'), dir);
    } catch (err) {
      if (!existsSync(dir)) throw err; // another build finished first, with the same content
    }
    console.log(`embedded database template: ${path.relative(process.cwd(), dir)} (${Date.now() - started} ms)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
