import { webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';

/** Points pkijs at Node's WebCrypto once, before any pkijs call that hashes or verifies. */
export function ensurePkijsEngine(): void {
  if (installed) return;
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as never }));
  installed = true;
}
let installed = false;

/** An exact ArrayBuffer copy of `bytes` (a small Buffer's `.buffer` is Node's shared pool). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
