import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { KeyObjectSigner } from '../pki/signer.js';

/**
 * The worker's whole program (CommonJS, evaluated): open the key, sign every item synchronously,
 * answer. Plain JavaScript so that it runs the same under node, tsx and vitest.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPrivateKey, sign } = require('node:crypto');
parentPort.on('message', ({ id, pkcs8, hash, items }) => {
  try {
    const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
    parentPort.postMessage({ id, signatures: items.map((item) => sign(hash, item, { key, dsaEncoding: 'der' })) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
`;

/**
 * Signs sign-hash batches on worker threads. An asynchronous node:crypto signature costs the main
 * thread ~20–30 µs just to dispatch (about half of signing it outright), so a batch of 1,000 gains
 * little from the thread pool; handing each worker a slice to sign synchronously uses every core
 * and leaves the main thread to HTTP and the database. The unlocked key travels to the workers
 * in-process for the duration of one batch and is not kept there.
 */
export class SignerPool {
  private workers: Worker[] = [];
  private pending = new Map<number, { worker: Worker; resolve: (s: Buffer[]) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor(private readonly size = Math.max(1, Math.min(4, availableParallelism()))) {}

  /** Signs `items` (each hashed with `hash`) with the PKCS#8 key, spread over the workers, in order. */
  async signMany(pkcs8: Uint8Array, hash: string, items: readonly Uint8Array[]): Promise<Buffer[]> {
    const workers = this.ensureWorkers();
    const slice = Math.ceil(items.length / workers.length);
    // Referenced while a batch is in flight, so the process waits for it; unreferenced when idle.
    for (const worker of workers) worker.ref();
    const parts = await Promise.all(
      workers.map((worker, w) => {
        const chunk = items.slice(w * slice, (w + 1) * slice);
        if (chunk.length === 0) return Promise.resolve([]);
        const id = this.nextId++;
        return new Promise<Buffer[]>((resolve, reject) => {
          this.pending.set(id, { worker, resolve, reject });
          worker.postMessage({ id, pkcs8, hash, items: chunk });
        });
      }),
    ).finally(() => {
      if (this.pending.size === 0) for (const worker of this.workers) worker.unref();
    });
    return parts.flat();
  }

  private ensureWorkers(): Worker[] {
    if (this.workers.length) return this.workers;
    for (let i = 0; i < this.size; i++) {
      // No execArgv: the worker is plain CommonJS and needs none of the parent's loaders (tsx, vitest).
      const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
      worker.on('message', (message: { id: number; signatures?: Uint8Array[]; error?: string }) => {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (!waiter) return;
        if (message.error !== undefined) waiter.reject(new Error(`signing worker: ${message.error}`));
        else waiter.resolve(message.signatures!.map((s) => Buffer.from(s.buffer, s.byteOffset, s.byteLength)));
      });
      worker.on('error', (err) => this.fail(worker, err));
      worker.on('exit', (code) => {
        this.workers = this.workers.filter((w) => w !== worker);
        this.fail(worker, new Error(`signing worker exited (${code})`));
      });
      worker.unref(); // after the listeners, which would ref it again
      this.workers.push(worker);
    }
    return this.workers;
  }

  /** A Signer over an unlocked key whose batches (`signMany`) are signed on this pool's workers. */
  signer(privateKey: KeyObject, pkcs8: Buffer): KeyObjectSigner {
    return new PooledKeySigner(privateKey, pkcs8, this);
  }

  /** Rejects what `worker` was signing: a dead worker must not leave a request waiting forever. */
  private fail(worker: Worker, err: Error): void {
    for (const [id, waiter] of this.pending) {
      if (waiter.worker !== worker) continue;
      this.pending.delete(id);
      waiter.reject(err);
    }
  }
}

/** A KeyObjectSigner whose `signMany` hands the batch to a SignerPool. */
class PooledKeySigner extends KeyObjectSigner {
  constructor(
    privateKey: KeyObject,
    private readonly pkcs8: Buffer,
    private readonly pool: SignerPool,
  ) {
    super(privateKey);
  }

  signMany(data: readonly Uint8Array[]): Promise<Uint8Array[]> {
    return this.pool.signMany(this.pkcs8, this.algorithm.hash, data);
  }
}
