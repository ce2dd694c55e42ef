import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { statsLayoutHash, statsLayoutSql } from '../../src/db/stats/layout.js';

// The statistics layout the code reads and writes is the one the newest migrations install: a
// change of cubes.ts, events.ts or maintenance.ts fails here until a new migration installs it.
const dir = path.resolve('migrations');
const files = readdirSync(dir).filter((f) => /^\d+_.*\.ts$/.test(f)).sort();

describe('the statistics layout is pinned by the migrations', () => {
  it('no migration imports from src/ (they are frozen SQL)', () => {
    for (const f of files) expect(readFileSync(path.join(dir, f), 'utf8'), f).not.toMatch(/from '\.\.\/src\//);
  });

  it("the newest migration's fold and rebuild are the code's, byte for byte", async () => {
    let installed: { file: string; FOLD: string; REBUILD: string } | undefined;
    for (const file of files) {
      const m = (await import(pathToFileURL(path.join(dir, file)).href)) as { FOLD?: string; REBUILD?: string };
      if (m.FOLD !== undefined || m.REBUILD !== undefined) installed = { file, FOLD: m.FOLD!, REBUILD: m.REBUILD! };
    }
    expect(installed?.file).toBeDefined();
    const code = statsLayoutSql();
    const hint = `src/stats changed the statistics layout: add a migration after ${installed!.file} (see migrations/008_stats_layout.ts)`;
    expect(installed!.FOLD === code.fold, hint).toBe(true);
    expect(installed!.REBUILD === code.rebuild, hint).toBe(true);
  });

  it("the newest hash recorded in stats_layout is the code's", () => {
    let recorded: string | undefined;
    for (const file of files) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      if (!/stats_layout/.test(text)) continue;
      const hashes = text.match(/'[0-9a-f]{64}'/g);
      if (hashes) recorded = hashes.at(-1)!.slice(1, -1);
    }
    expect(recorded).toBe(statsLayoutHash());
  });
});
