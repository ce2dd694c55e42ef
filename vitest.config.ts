import { defineConfig } from 'vitest/config';

/**
 * Pure tests: no database, no server, no global setup (`npm run test:unit`). Every other test file
 * runs in the `db` project, on the migrated template database of tests/support/global-setup.ts.
 * `npm test` runs both.
 */
const UNIT = [
  'tests/certificates/key-policy.test.ts',
  'tests/foundation/config.test.ts',
  'tests/foundation/connection-errors.test.ts',
  'tests/foundation/embedded-template.test.ts',
  'tests/foundation/layers.test.ts',
  'tests/keys/pin-key.test.ts',
  'tests/keys/vault.test.ts',
  'tests/pdf/signature-dictionary.test.ts',
  'tests/pdf/visible.test.ts',
  'tests/pki/cms.test.ts',
  'tests/pki/csr.test.ts',
  'tests/pki/der-reader.test.ts',
  'tests/pki/end-entity.test.ts',
  'tests/pki/pades.test.ts',
  'tests/pki/pkcs12.test.ts',
  'tests/pki/tsp.test.ts',
  'tests/requests/csv.test.ts',
  'tests/signing/pdf-batch.test.ts',
  'tests/revocation/builders.test.ts',
  'tests/stats/layout-pin.test.ts',
  'tests/stats/periods.test.ts',
  'tests/verification/pure.test.ts',
];

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
    projects: [
      // Pure files share one module cache per worker (isolate: false): no database, no globals they change; 26 s → 15 s here.
      { extends: true, test: { name: 'unit', include: UNIT, isolate: false } },
      {
        extends: true,
        test: { name: 'db', include: ['tests/**/*.test.ts'], exclude: UNIT, globalSetup: ['tests/support/global-setup.ts'] },
      },
    ],
  },
});
