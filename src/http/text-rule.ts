import { z } from 'zod';
import { BadRequest } from '../errors.js';

// One rule for every text a client sends (issue #13 item 3): well-formed UTF-16 (a lone surrogate
// cannot be encoded to UTF-8 and PostgreSQL refuses it with a 500), no C0/C1 control characters
// (NUL cannot be stored in a PostgreSQL text value at all) except tab and line breaks, which PEM
// and free-text reasons carry, and no bidirectional embedding/override/isolate controls (U+202A–
// U+202E, U+2066–U+2069), which make a name display differently from what it is ("Trojan Source",
// CVE-2021-42574). Names (`lineText`) additionally refuse tab and line breaks.
// eslint-disable-next-line no-control-regex -- control characters are what this rule refuses
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const LINE_BREAKS = /[\t\n\r]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `value` breaks the text rule, or undefined when it is acceptable. */
function textProblem(value: string): string | undefined {
  if (LONE_SURROGATE.test(value)) return 'is not valid Unicode (lone surrogate)';
  const bad = FORBIDDEN.exec(value);
  if (bad) return `contains the control character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return undefined;
}

/**
 * Throws a 400 listing every string in `value` (a parsed JSON body, query or path parameters,
 * object keys included) that breaks the text rule. Run on every route's input before its schema,
 * so no handler and no SQL statement ever sees such a string.
 */
export function assertTextRule(value: unknown, where: string): void {
  const errors: { path: string; message: string }[] = [];
  const visit = (v: unknown, path: string, depth: number): void => {
    if (errors.length >= 20 || depth > 64) return;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) errors.push({ path: path || where, message: problem });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, path ? `${path}.${i}` : String(i), depth + 1));
    } else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
      for (const [key, item] of Object.entries(v)) {
        const keyProblem = textProblem(key);
        if (keyProblem) errors.push({ path: path || where, message: `a field name ${keyProblem}` });
        else visit(item, path ? `${path}.${key}` : key, depth + 1);
      }
    }
  };
  visit(value, '', 0);
  if (errors.length) throw new BadRequest(`invalid ${where}: text must be valid Unicode without control characters`, errors);
}

/** A single-line text field (a name, a code): trimmed, `min`–`max` characters, no tab or line break. */
export function lineText(min: number, max: number) {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine((v) => !LINE_BREAKS.test(v), 'must be a single line (no tab or line break)');
}
