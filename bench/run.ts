/**
 * `npm run bench`: every benchmark, each printing its rate beside a reference measured in the
 * same run (openssl speed, node:crypto on the same key). `npm run bench -- issuance` runs one.
 */
const benchmarks: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  issuance: () => import('./issuance.js'),
  'one-at-a-time': () => import('./one-at-a-time.js'),
  embedded: () => import('./embedded.js'),
  pipeline: () => import('./pipeline.js'),
  import: () => import('./import.js'),
  verify: () => import('./verify.js'),
  ocsp: () => import('./ocsp.js'),
  hsm: () => import('./hsm.js'),
  signing: () => import('./signing.js'),
  provisioning: () => import('./provisioning.js'),
  stats: () => import('./stats.js'),
  'sign-jobs': () => import('./sign-jobs.js'),
  read: () => import('./read.js'),
  // name: () => import('./file.js'),  — each module exports `run()`
};

const only = process.argv.slice(2);
for (const [name, load] of Object.entries(benchmarks)) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n== ${name}`);
  await (await load()).run();
}
