import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { samplePdf } from '../pki/cms-fixtures.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { scratch, type Scratch } from '../support/scratch.js';
import { binary, openAccount } from './support.js';

const PIN = '802461';
const clock = fixedClock(new Date());
let t: TestKyso;
let a: Awaited<ReturnType<typeof seedTenant>>;
let b: Awaited<ReturnType<typeof seedTenant>>;
let account: { id: string };
let tmp: Scratch;
let pdfs: Buffer[];

beforeAll(async () => {
  t = await startTestKyso({ clock });
  a = await seedTenant(t, 'ja');
  b = await seedTenant(t, 'jb');
  account = await openAccount(t, a.tokens.officer, { userId: a.userIds.signer, organizationId: a.organizationId, pin: PIN }, a.tokens.signer);
  tmp = scratch();
  // 200 one-page transcripts, as different as their names.
  const template = await samplePdf(false, 1);
  pdfs = Array.from({ length: 200 }, (_, i) => Buffer.concat([template, Buffer.from(`% hoc sinh ${i}\n`)]));
}, 240_000);
afterAll(async () => {
  tmp.remove();
  await t.close();
});

function submit(token: string, files: Array<{ name: string; bytes: Buffer }>, options: Record<string, unknown>, id = account.id) {
  let req = t.http().post(`/api/v1/signing-accounts/${id}/sign-jobs`).set('Authorization', `Bearer ${token}`).field('options', JSON.stringify(options));
  for (const file of files) req = req.attach('documents', file.bytes, file.name);
  return req;
}

async function finished(id: string, token = a.tokens.signer) {
  for (;;) {
    const res = await t.http().get(`/api/v1/sign-jobs/${id}`).set('Authorization', `Bearer ${token}`);
    if (res.status !== 200 || res.body.status !== 'running') return res;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const zipOf = (id: string, token = a.tokens.signer) =>
  t.http().get(`/api/v1/sign-jobs/${id}/result.zip`).set('Authorization', `Bearer ${token}`).buffer(true).parse(binary);

const jobDirs = () => (existsSync(path.join(t.dataDir, 'sign-jobs')) ? readdirSync(path.join(t.dataDir, 'sign-jobs')) : []);

describe('sign jobs', () => {
  it('signs 200 PDFs with a visible signature under one PIN check; the broken one fails alone; the ZIP holds the 199 others', async () => {
    const files = pdfs.map((bytes, i) => ({ name: `hoc-ba-${String(i + 1).padStart(3, '0')}.pdf`, bytes }));
    files[57] = { name: 'hong.pdf', bytes: Buffer.from('%PDF-1.7\nthis file was cut short') };
    const started = await submit(a.tokens.signer, files, { pin: PIN, visible: { page: 1, rect: [300, 80, 550, 160] }, reason: 'Hiệu trưởng ký duyệt' });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ status: 'running', total: 200 });
    const job = await finished(started.body.id);
    expect(job.body).toMatchObject({ status: 'done', total: 200, done: 199, failed: 1 });
    expect(job.body.results).toHaveLength(200);
    expect(job.body.results[57]).toMatchObject({ index: 57, name: 'hong.pdf', status: 'failed' });
    expect(job.body.results[57].error).toMatch(/PDF/);
    expect(job.body.results[0]).toEqual({ index: 0, name: 'hoc-ba-001.pdf', status: 'signed' });

    const zip = await zipOf(started.body.id);
    expect(zip.status).toBe(200);
    expect(zip.headers['content-type']).toContain('application/zip');
    tmp.write('job.zip', zip.body);
    const listing = tmp.run('unzip', ['-Z1', 'job.zip']).output.trim().split('\n');
    expect(listing).toHaveLength(199);
    expect(listing).not.toContain('hong.pdf');
    expect(tmp.run('unzip', ['-q', 'job.zip', 'hoc-ba-001.pdf', 'hoc-ba-200.pdf', '-d', 'out']).ok).toBe(true);
    for (const name of ['hoc-ba-001.pdf', 'hoc-ba-200.pdf']) {
      const out = tmp.run('pdfsig', [path.join('out', name)]).output;
      expect(out).toContain('Signature is Valid');
      expect(out).toContain('Total document signed');
    }
    // The uploads are gone once signed; the outputs stay for the download.
    expect(existsSync(path.join(t.dataDir, 'sign-jobs', started.body.id, 'in'))).toBe(false);

    // One PIN check and one finish event in the audit trail for the 200 documents.
    const audit = await t.http().get('/api/v1/audit?action=signing-account.sign-job').set('Authorization', `Bearer ${await t.adminToken()}`);
    expect(audit.body.items.filter((e: { details: { jobId: string } }) => e.details.jobId === started.body.id)).toHaveLength(1);
  }, 240_000);

  it('someone else’s job is a 404, progress and result alike', async () => {
    const started = await submit(a.tokens.signer, [{ name: 'a.pdf', bytes: pdfs[0]! }], { pin: PIN });
    expect(started.status).toBe(202);
    await finished(started.body.id);
    for (const token of [b.tokens.signer, a.tokens.officer, a.tokens.agency]) {
      expect((await t.http().get(`/api/v1/sign-jobs/${started.body.id}`).set('Authorization', `Bearer ${token}`)).status).toBe(404);
      expect((await zipOf(started.body.id, token)).status).toBe(404);
    }
    expect((await t.http().get('/api/v1/sign-jobs/not-a-uuid').set('Authorization', `Bearer ${a.tokens.signer}`)).status).toBe(404);
  });

  it('refuses a wrong PIN (403), no documents (422), bad options (400), too many files (413), another account (404), and keeps no upload', async () => {
    const before = jobDirs().length;
    const one = [{ name: 'a.pdf', bytes: pdfs[0]! }];
    expect((await submit(a.tokens.signer, one, { pin: '999999' })).status).toBe(403);
    expect((await submit(a.tokens.signer, [], { pin: PIN })).status).toBe(422);
    expect((await submit(a.tokens.signer, one, { pin: PIN, level: 'B-XL' })).status).toBe(400);
    expect((await submit(a.tokens.signer, one, { pin: PIN }, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await submit(b.tokens.signer, one, { pin: PIN })).status).toBe(404);
    const noOptions = await t.http().post(`/api/v1/signing-accounts/${account.id}/sign-jobs`).set('Authorization', `Bearer ${a.tokens.signer}`).attach('documents', pdfs[0]!, 'a.pdf');
    expect(noOptions.status).toBe(400);
    const tiny = Buffer.from('%PDF-1.7\n');
    const tooMany = await submit(a.tokens.signer, Array.from({ length: 1001 }, (_, i) => ({ name: `${i}.pdf`, bytes: tiny })), { pin: PIN });
    expect(tooMany.status).toBe(413);
    expect(tooMany.headers['content-type']).toContain('application/problem+json');
    expect(jobDirs().length).toBe(before);
    // The wrong PIN was counted once, not once per document.
    const view = await t.http().get(`/api/v1/signing-accounts/${account.id}`).set('Authorization', `Bearer ${a.tokens.signer}`);
    expect(view.body.failedPinAttempts).toBe(1);
  }, 120_000);

  it('a restart mid-job fails it with the files signed so far downloadable; results go 24 h after the job ended', async () => {
    const files = pdfs.slice(0, 150).map((bytes, i) => ({ name: `r-${i}.pdf`, bytes }));
    const started = await submit(a.tokens.signer, files, { pin: PIN, visible: { page: 1, rect: [300, 80, 550, 160] } });
    expect(started.status).toBe(202);
    // The instance stops where it is, as a killed process would; its heartbeat stops with it.
    await t.kyso.services.signJobs.stop();
    const stopped = await t.http().get(`/api/v1/sign-jobs/${started.body.id}`).set('Authorization', `Bearer ${a.tokens.signer}`);
    expect(stopped.body.status).toBe('running');
    expect(stopped.body.done).toBeLessThan(150);
    clock.advance(60_000);
    const failed = await t.http().get(`/api/v1/sign-jobs/${started.body.id}`).set('Authorization', `Bearer ${a.tokens.signer}`);
    expect(failed.body.status).toBe('failed');
    expect(failed.body.error).toMatch(/restarted/);
    const zip = await zipOf(started.body.id);
    expect(zip.status).toBe(200);
    tmp.write('partial.zip', zip.body);
    const listing = tmp.run('unzip', ['-Z1', 'partial.zip']).output.trim().split('\n').filter((line) => line.endsWith('.pdf'));
    expect(listing.length).toBe(failed.body.done);
    clock.advance(25 * 3600 * 1000);
    const token = await t.login('signer-ja', 'signer-password-ja'); // the morning's session has expired too
    expect((await t.http().get(`/api/v1/sign-jobs/${started.body.id}`).set('Authorization', `Bearer ${token}`)).status).toBe(404);
    expect(existsSync(path.join(t.dataDir, 'sign-jobs', started.body.id))).toBe(false);
  }, 120_000);
});
