import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { requestLogger } from '../../src/http/request-log.js';

describe('request log', () => {
  it('writes one line per request with the request, status and time, at a level by status', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const app = express();
    app.use((req, _res, next) => {
      (req as { id?: string }).id = 'req-1';
      next();
    });
    app.use(requestLogger(pino({ level: 'info' }, sink), (url) => url.replace(/secret=[^&]+/, 'secret=[redacted]')));
    app.get('/ok', (_req, res) => void res.json({ ok: true }));
    app.get('/missing', (_req, res) => void res.status(404).end());
    app.get('/broken', (_req, res) => void res.status(500).end());
    await request(app).get('/ok?secret=abc&x=1');
    await request(app).get('/missing');
    await request(app).get('/broken');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: 'req-1', method: 'GET', url: '/ok?secret=[redacted]&x=1', remoteAddress: expect.stringMatching(/127\.0\.0\.1/) },
      res: { statusCode: 200 },
    });
    expect(typeof lines[0]!.responseTime).toBe('number');
    expect(lines.map((l) => l.level)).toEqual([30, 40, 50]);
  });

  it('writes nothing below the logger level', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) });
    const app = express();
    app.use(requestLogger(pino({ level: 'warn' }, sink)));
    app.get('/ok', (_req, res) => void res.end());
    app.get('/missing', (_req, res) => void res.status(404).end());
    await request(app).get('/ok');
    await request(app).get('/missing');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).res.statusCode).toBe(404);
  });
});
