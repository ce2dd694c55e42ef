import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { adminPoster } from './issuance.js';
import { login, startBenchKyso } from './support.js';

const FILES = Number(process.env.KYSO_BENCH_JOB_FILES ?? 1000);
const LEVEL = process.env.KYSO_BENCH_JOB_LEVEL ?? 'B-B';
const PIN = '802461';

/** A one-page transcript of about 100 KB: text and a 95 KB incompressible stream (a scanned photo's worth). */
async function transcript(i: number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  page.drawText(`HOC BA SO - hoc sinh ${i}`, { x: 72, y: 760, size: 14, font: await doc.embedFont(StandardFonts.Helvetica) });
  doc.context.register(doc.context.stream(randomBytes(95_000)));
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

/** Runs curl (the client, in its own process, so this process's CPU time and RSS are kyso's) and returns what it printed. */
function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('curl', ['-sS', '--fail-with-body', ...args], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`curl: ${stderr || stdout || err.message}`)) : resolve(stdout),
    ),
  );
}

/**
 * A sign job of 1,000 one-page ~100 KB PDFs with a visible signature (issue #11 target: under 60 s,
 * under 300 MB above idle), beside pdf-lib alone loading and saving the same files in the same run.
 * kyso runs in this process and curl is the client (upload from disk, ZIP to disk), so the CPU time
 * and RSS measured are kyso's.
 */
export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-bench-job-'));
  const bench = await startBenchKyso();
  try {
    const files: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const file = path.join(dir, `hoc-ba-${String(i).padStart(4, '0')}.pdf`);
      writeFileSync(file, await transcript(i));
      files.push(file);
    }
    const bytes = files.reduce((n, f) => n + readFileSync(f).length, 0);
    const { url } = bench.kyso;
    const post = adminPoster(bench);
    const org = await post('/api/v1/organizations', { name: 'Trường THPT Chu Văn An', code: '0100000003', sector: 'education', province: 'Hà Nội' });
    const user = await post('/api/v1/users', { username: 'hieutruong', password: 'hieutruong-password', role: 'signer', organizationId: (org.id as string) });
    const account = await post('/api/v1/signing-accounts', { userId: (user.id as string), organizationId: (org.id as string), pin: '480264', commonName: 'Trần Văn Bình', uid: 'CCCD:001099000002' });
    const token = await login(url, 'hieutruong', 'hieutruong-password');
    const auth = { authorization: `Bearer ${token}` };
    await fetch(`${url}/api/v1/signing-accounts/${(account.id as string)}/pin`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ pin: '480264', newPin: PIN }) });

    global.gc?.();
    const idle = process.memoryUsage().rss;
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    const options = JSON.stringify({ pin: PIN, visible: { page: 1, rect: [300, 80, 550, 160] }, reason: 'Hiệu trưởng ký duyệt', level: LEVEL });
    const bearer = `Authorization: Bearer ${token}`;
    const documents = files.flatMap((file) => ['-F', `documents=@${file};type=application/pdf`]);
    const job = JSON.parse(await curl(['-H', bearer, '-F', `options=${options}`, ...documents, `${url}/api/v1/signing-accounts/${(account.id as string)}/sign-jobs`])) as { id: string };
    const uploaded = performance.now();
    const cpuUploaded = process.cpuUsage();
    const cpuUpload = process.cpuUsage(cpuStart);
    let status: { status: string; done: number; failed: number };
    do {
      await new Promise((r) => setTimeout(r, 250));
      status = (await (await fetch(`${url}/api/v1/sign-jobs/${job.id}`, { headers: auth })).json()) as typeof status;
    } while (status.status === 'running');
    const signedAt = performance.now();
    const cpuSigned = process.cpuUsage();
    const cpuSigning = process.cpuUsage(cpuUploaded);
    const zipFile = path.join(dir, 'result.zip');
    await curl(['-H', bearer, '-o', zipFile, `${url}/api/v1/sign-jobs/${job.id}/result.zip`]);
    const zipBytes = statSync(zipFile).size;
    const finished = performance.now();
    const cpuZip = process.cpuUsage(cpuSigned);
    const total = (finished - started) / 1000;
    const cpuTotal = process.cpuUsage(cpuStart);
    clearInterval(sampler);

    const referenceStart = performance.now();
    const cpuReferenceStart = process.cpuUsage();
    for (const file of files) await (await PDFDocument.load(readFileSync(file), { updateMetadata: false })).save({ useObjectStreams: false });
    const reference = (performance.now() - referenceStart) / 1000;
    const cpuReference = process.cpuUsage(cpuReferenceStart);
    const perPdf = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000 / FILES;

    const seconds = (from: number, to: number) => `${((to - from) / 1000).toFixed(1)} s`;
    console.log(`${FILES} PDFs, ${(bytes / 1024 / 1024).toFixed(0)} MB, visible signature (${LEVEL}): ${status.status}, ${status.done} signed, ${status.failed} failed`);
    console.log(`  upload ${seconds(started, uploaded)}, signing ${seconds(uploaded, signedAt)}, ZIP of ${(zipBytes / 1024 / 1024).toFixed(0)} MB ${seconds(signedAt, finished)}`);
    console.log(`  total ${total.toFixed(1)} s = ${(FILES / total).toFixed(1)} PDFs/s; pdf-lib alone load+save: ${reference.toFixed(1)} s = ${(FILES / reference).toFixed(1)} PDFs/s`);
    console.log(
      `  kyso's CPU per PDF: ${perPdf(cpuTotal).toFixed(2)} ms (upload ${perPdf(cpuUpload).toFixed(2)}, signing ${perPdf(cpuSigning).toFixed(2)}, ZIP ${perPdf(cpuZip).toFixed(2)}); ` +
        `pdf-lib alone ${perPdf(cpuReference).toFixed(2)} ms: ${(perPdf(cpuTotal) / perPdf(cpuReference)).toFixed(1)}× in all, ${(perPdf(cpuSigning) / perPdf(cpuReference)).toFixed(1)}× signing`,
    );
    console.log(`  load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
    console.log(`  peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB, ${((peak - idle) / 1024 / 1024).toFixed(0)} MB above idle (${(idle / 1024 / 1024).toFixed(0)} MB)`);
  } finally {
    await bench.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
