import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * The layer rule of style.md: src/pki is pure (it imports nothing of kyso outside itself), and
 * the data layer src/db imports no feature (src/<feature>/ services, src/http). Type-only imports
 * are erased at run time and tolerated in src/db (row types shared with a feature); src/pki
 * allows none.
 */
const SRC = path.resolve('src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** The relative imports of a file (also `export … from`), each resolved under src/, and whether it is type-only. */
function importsOf(file: string): Array<{ target: string; typeOnly: boolean; line: string }> {
  const text = readFileSync(file, 'utf8');
  const found: Array<{ target: string; typeOnly: boolean; line: string }> = [];
  for (const m of text.matchAll(/^(import|export)(\s+type)?\s[^;]*?from\s+'(\.[^']+)'|^import\s+'(\.[^']+)'/gms)) {
    const spec = m[3] ?? m[4]!;
    found.push({ target: path.relative(SRC, path.resolve(path.dirname(file), spec)), typeOnly: Boolean(m[2]), line: m[0].split('\n')[0]! });
  }
  // `import('…')` in code or types
  for (const m of text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)) {
    found.push({ target: path.relative(SRC, path.resolve(path.dirname(file), m[1]!)), typeOnly: false, line: m[0] });
  }
  return found;
}

const violations = (dir: string, allowed: (target: string, typeOnly: boolean) => boolean) =>
  filesUnder(path.join(SRC, dir)).flatMap((file) =>
    importsOf(file)
      .filter((i) => !allowed(i.target, i.typeOnly))
      .map((i) => `${path.relative(SRC, file)}: ${i.line}`),
  );

describe('the layer rule', () => {
  it('src/pki imports nothing outside src/pki', () => {
    expect(violations('pki', (target) => target.startsWith(`pki${path.sep}`))).toEqual([]);
  });

  it('src/db imports no feature: only src/db and src/pki (and types)', () => {
    expect(violations('db', (target, typeOnly) => typeOnly || target.startsWith(`db${path.sep}`) || target.startsWith(`pki${path.sep}`))).toEqual([]);
  });

  it('finds a violation when there is one', () => {
    // The check itself: a feature file importing across layers is reported.
    const stats = importsOf(path.join(SRC, 'stats', 'stats.ts'));
    expect(stats.some((i) => i.target === path.join('db', 'stats', 'queries.js') && !i.typeOnly)).toBe(true);
  });
});
