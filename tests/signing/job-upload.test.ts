import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainError } from '../../src/errors.js';
import { receiveJobUpload } from '../../src/http/job-upload.js';
import { scratch, type Scratch } from '../support/scratch.js';

// receiveJobUpload at a size the test can reach: 3 files, 10 bytes in all.
const MAX_BYTES = 10;
let tmp: Scratch;
let uploads = 0;
const app = express();
app.post('/upload', async (req, res) => {
  const dir = path.join(tmp.dir, String(uploads++));
  await mkdir(dir);
  try {
    const upload = await receiveJobUpload(req, dir, { maxFiles: 3, maxBytes: MAX_BYTES });
    res.json({ options: upload.options, files: upload.files.map((f) => ({ name: f.name, bytes: readFileSync(f.path).length })) });
  } catch (err) {
    res.status((err as DomainError).status).json({ detail: (err as Error).message });
  }
});

beforeAll(() => {
  tmp = scratch();
});
afterAll(() => tmp.remove());

const upload = (files: Buffer[]) => {
  let req = request(app).post('/upload').field('options', '{}');
  for (const [i, bytes] of files.entries()) req = req.attach('documents', bytes, `${i}.pdf`);
  return req;
};

describe('sign-job uploads (receiveJobUpload)', () => {
  it('takes files of maxBytes in all, whole', async () => {
    const res = await upload([Buffer.alloc(4, 0x41), Buffer.alloc(6, 0x42)]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ options: '{}', files: [{ name: '0.pdf', bytes: 4 }, { name: '1.pdf', bytes: 6 }] });
    expect((await upload([Buffer.alloc(MAX_BYTES, 0x41)])).body.files).toEqual([{ name: '0.pdf', bytes: MAX_BYTES }]);
  });

  // Regression: busboy's fileSize was maxBytes, so a larger file was cut at maxBytes and accepted.
  it('is a 413 for one file over maxBytes, not that file cut short', async () => {
    for (const size of [MAX_BYTES + 1, 25]) {
      const res = await upload([Buffer.alloc(size, 0x41)]);
      expect(res.status, `${size} bytes`).toBe(413);
      expect(res.body.detail).toMatch(/at most/);
    }
  });

  it('is a 413 for files over maxBytes in all, and for too many files', async () => {
    expect((await upload([Buffer.alloc(6, 0x41), Buffer.alloc(6, 0x42)])).status).toBe(413);
    expect((await upload([1, 2, 3, 4].map(() => Buffer.from('x')))).status).toBe(413);
  });

  it('is a 400 for a broken multipart body', async () => {
    const res = await request(app)
      .post('/upload')
      .set('Content-Type', 'multipart/form-data; boundary=kyso')
      .send('--kyso\r\nContent-Disposition: form-data; name="documents"; filename="a.pdf"\r\n\r\nxxxx');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/malformed multipart body/);
  });
});
