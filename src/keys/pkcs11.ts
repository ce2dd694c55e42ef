import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Pkcs11Js from 'pkcs11js';
import { bitString, oid, sequence, unsignedInteger } from '../pki/der.js';
import { content, readWhole } from '../pki/der-reader.js';
import { OID } from '../pki/oids.js';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm, type Signer } from '../pki/signer.js';

// pkcs11js is a CommonJS native addon: loaded only when a token is configured.
const require = createRequire(import.meta.url);

/** The curves kyso generates CA and service keys on. */
export type Curve = 'P-256' | 'P-384';

const CURVES: Record<Curve, { oid: string; algorithm: SignatureAlgorithm; size: number }> = {
  'P-256': { oid: OID.secp256r1, algorithm: SIGNATURE_ALGORITHMS.ecdsaWithSHA256, size: 32 },
  'P-384': { oid: OID.secp384r1, algorithm: SIGNATURE_ALGORITHMS.ecdsaWithSHA384, size: 48 },
};

/** Where to find the token: api.md "Start-up" (`KYSO_PKCS11_MODULE`, `_TOKEN`, `_PIN`). */
export interface TokenConfig {
  readonly module: string;
  readonly label: string;
  readonly pin: string;
}

/** A PKCS#11 library loaded once per process: C_Initialize may be called only once (PKCS#11 §5.4). */
const loaded = new Map<string, { pkcs11: Pkcs11Js.PKCS11; users: number }>();

/** Signing sessions per token: SoftHSM 2 signs on as many threads; an HSM's limit is usually higher. */
const SIGNING_SESSIONS = 4;

/**
 * What a Cryptoki call answers when the session is gone: the token was removed or reset, or
 * someone closed every session of this application (and so logged it out). Reopening helps.
 */
const SESSION_LOST =
  /CKR_(SESSION_HANDLE_INVALID|SESSION_CLOSED|DEVICE_REMOVED|TOKEN_NOT_PRESENT|TOKEN_NOT_RECOGNIZED|USER_NOT_LOGGED_IN|OBJECT_HANDLE_INVALID|KEY_HANDLE_INVALID|SLOT_ID_INVALID)/;

/** One signing session, tagged with the opening it belongs to (see `Pkcs11Token.epoch`). */
interface SigningSession {
  readonly handle: Pkcs11Js.Handle;
  readonly epoch: number;
}

/**
 * A logged-in PKCS#11 token. Keys are generated in the token as sensitive, non-extractable
 * objects and found again by CKA_ID; signing is CKM_ECDSA over a digest computed here, because
 * SoftHSM 2 (and several HSMs) lack CKM_ECDSA_SHA256 (stack-notes.md "HSM").
 *
 * One session does the housekeeping (generate, find, relabel, destroy: synchronous, rare); a small
 * pool of sessions signs, each signature on a Cryptoki thread (C_SignAsync), so that signatures
 * run side by side and the event loop never waits for the token. Login is per token (PKCS#11
 * §5.6), so the pool's sessions share the housekeeping session's. When the token answers that the
 * session is gone (removed and put back, reset, sessions closed), every session is reopened, the
 * user logged in again and key handles found again; the call is retried once.
 */
export class Pkcs11Token {
  private closed = false;
  /** Grows at every reopening: sessions and key handles of an older one are not used again. */
  private epoch = 0;
  private control: Pkcs11Js.Handle;
  private readonly idle: SigningSession[] = [];
  private signingSessions = 0;
  private readonly waiting: Array<{ resolve: (session: SigningSession) => void; reject: (err: Error) => void }> = [];

  private constructor(
    private readonly lib: typeof Pkcs11Js,
    private readonly pkcs11: Pkcs11Js.PKCS11,
    private readonly config: TokenConfig,
    private readonly poolSize: number,
  ) {
    this.control = this.login();
  }

  /** Loads the module, finds the token by label and logs in as its user; throws a readable error otherwise. */
  static open(config: TokenConfig, poolSize = SIGNING_SESSIONS): Pkcs11Token {
    const lib = require('pkcs11js') as typeof Pkcs11Js;
    let entry = loaded.get(config.module);
    if (!entry) {
      const pkcs11 = new lib.PKCS11();
      try {
        pkcs11.load(config.module);
        initialize(pkcs11, lib);
      } catch (err) {
        throw new Error(`KYSO_PKCS11_MODULE ${config.module} cannot be loaded: ${(err as Error).message}`, { cause: err });
      }
      entry = { pkcs11, users: 0 };
      loaded.set(config.module, entry);
    }
    const token = new Pkcs11Token(lib, entry.pkcs11, config, poolSize);
    entry.users++;
    return token;
  }

  /** The token's label. */
  get label(): string {
    return this.config.label;
  }

  /**
   * Generates an EC key pair in the token: private key sensitive, non-extractable, signing only.
   * Returns its CKA_ID (hex), by which it is found again.
   */
  generate(curve: Curve, label: string): { id: string; signer: Signer } {
    const { lib, pkcs11 } = this;
    const id = randomBytes(16);
    const params = oid(CURVES[curve].oid);
    const common = [
      { type: lib.CKA_TOKEN, value: true },
      { type: lib.CKA_ID, value: id },
      { type: lib.CKA_LABEL, value: label },
    ];
    this.housekeeping((session) =>
      pkcs11.C_GenerateKeyPair(
        session,
        { mechanism: lib.CKM_EC_KEY_PAIR_GEN },
        [...common, { type: lib.CKA_EC_PARAMS, value: params }, { type: lib.CKA_VERIFY, value: true }],
        [
          ...common,
          { type: lib.CKA_PRIVATE, value: true },
          { type: lib.CKA_SENSITIVE, value: true },
          { type: lib.CKA_EXTRACTABLE, value: false },
          { type: lib.CKA_SIGN, value: true },
        ],
      ),
    );
    return { id: id.toString('hex'), signer: this.signer(id.toString('hex'), label) };
  }

  /** Renames a key (CKA_LABEL of both halves), e.g. once the CA it belongs to has its name. */
  relabel(id: string, label: string): void {
    this.housekeeping((session) => {
      for (const handle of this.keyPair(session, id)) this.pkcs11.C_SetAttributeValue(session, handle, [{ type: this.lib.CKA_LABEL, value: label }]);
    });
  }

  /** Destroys both halves of a key pair: a key whose CA was never stored must not stay in the token. */
  destroy(id: string): void {
    this.housekeeping((session) => {
      for (const handle of this.keyPair(session, id)) this.pkcs11.C_DestroyObject(session, handle);
    });
  }

  /** A Signer over the token key with CKA_ID `id`; refuses when its label is not `label`. */
  signer(id: string, label: string): Signer {
    const { lib, pkcs11 } = this;
    const publicKeyInfo = this.housekeeping((session) => {
      const privateKey = this.find(session, id, lib.CKO_PRIVATE_KEY);
      const [labelAttr] = pkcs11.C_GetAttributeValue(session, privateKey, [{ type: lib.CKA_LABEL }]);
      if (labelAttr?.value?.toString('utf8') !== label) {
        throw new Error(`token key ${id} is labelled "${labelAttr?.value?.toString('utf8')}", not "${label}"`);
      }
      const publicKey = this.find(session, id, lib.CKO_PUBLIC_KEY);
      const [paramsAttr, pointAttr] = pkcs11.C_GetAttributeValue(session, publicKey, [{ type: lib.CKA_EC_PARAMS }, { type: lib.CKA_EC_POINT }]);
      const curve = (Object.keys(CURVES) as Curve[]).find((c) => oid(CURVES[c].oid).equals(paramsAttr!.value as Buffer));
      if (!curve) throw new Error(`token key ${id} is not on P-256 or P-384`);
      // CKA_EC_POINT is the DER of an OCTET STRING around the point (PKCS#11 2.40 §2.3.3).
      const pointDer = pointAttr!.value as Buffer;
      const point = content(readWhole(pointDer, 0x04));
      return { curve, der: sequence(sequence(oid(OID.ecPublicKey), oid(CURVES[curve].oid)), bitString(point)) };
    });
    const { algorithm, size } = CURVES[publicKeyInfo.curve];
    // The private key's handle, found again after a reopening (handles need not survive one).
    let handle: { epoch: number; privateKey: Pkcs11Js.Handle } | undefined;
    const privateKey = (session: Pkcs11Js.Handle, epoch: number) => {
      if (handle?.epoch !== epoch) handle = { epoch, privateKey: this.find(session, id, lib.CKO_PRIVATE_KEY) };
      return handle.privateKey;
    };
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the Signer's methods below call back into this token
    const token = this;
    return {
      algorithm,
      publicKeyInfo: publicKeyInfo.der,
      async sign(data: Uint8Array): Promise<Uint8Array> {
        const digest = createHash(algorithm.hash).update(data).digest();
        return rawToDerSignature(await token.signDigest(digest, 2 * size, privateKey));
      },
    };
  }

  /** Closes every session; the library stays loaded for other tokens of this process. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      for (const session of this.idle.splice(0)) this.closeQuietly(session.handle);
      this.closeQuietly(this.control);
    } finally {
      const entry = loaded.get(this.config.module);
      if (entry && --entry.users === 0) {
        loaded.delete(this.config.module);
        entry.pkcs11.C_Finalize();
      }
    }
  }

  /** Signs a digest with CKM_ECDSA on a pooled session, reopening once when the session was lost. */
  private async signDigest(
    digest: Buffer,
    signatureSize: number,
    privateKey: (session: Pkcs11Js.Handle, epoch: number) => Pkcs11Js.Handle,
  ): Promise<Buffer> {
    for (let attempt = 0; ; attempt++) {
      this.assertOpen();
      const session = await this.acquire();
      try {
        this.pkcs11.C_SignInit(session.handle, { mechanism: this.lib.CKM_ECDSA }, privateKey(session.handle, session.epoch));
        const signature = await this.pkcs11.C_SignAsync(session.handle, digest, Buffer.alloc(signatureSize));
        this.release(session);
        return signature;
      } catch (err) {
        if (!SESSION_LOST.test(String((err as Error).message))) {
          this.release(session);
          throw err;
        }
        this.signingSessions--;
        this.reopen(session.epoch);
        this.wakeOne();
        if (attempt > 0) throw this.readable(err);
      }
    }
  }

  /** A free signing session: an idle one, a new one while the pool is not full, else the next released. */
  private acquire(): Promise<SigningSession> {
    const idle = this.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.signingSessions < this.poolSize) {
      this.signingSessions++;
      try {
        return Promise.resolve({ handle: this.openSession(this.slot()), epoch: this.epoch });
      } catch (err) {
        this.signingSessions--;
        return Promise.reject(this.readable(err));
      }
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(session: SigningSession): void {
    if (this.closed || session.epoch !== this.epoch) {
      // Opened before a reopening: its handle may now name another application's session.
      this.signingSessions--;
      if (session.epoch === this.epoch) this.closeQuietly(session.handle);
      this.wakeOne();
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve(session);
    else this.idle.push(session);
  }

  /** A session was dropped: the first waiter gets a new one, or the reason there is none. */
  private wakeOne(): void {
    const waiter = this.waiting.shift();
    if (waiter) this.acquire().then(waiter.resolve, waiter.reject);
  }

  /** Runs a housekeeping call on the logged-in session, reopening once when the session was lost. */
  private housekeeping<T>(call: (session: Pkcs11Js.Handle) => T): T {
    this.assertOpen();
    const epoch = this.epoch;
    try {
      return call(this.control);
    } catch (err) {
      if (!SESSION_LOST.test(String((err as Error).message))) throw err;
      this.reopen(epoch);
      return call(this.control);
    }
  }

  /**
   * Starts afresh after the sessions of `epoch` were lost: the idle ones are forgotten (the token
   * closed them), the token is found again by label (its slot may have changed) and logged in.
   * Does nothing when another call reopened since `epoch`.
   */
  private reopen(epoch: number): void {
    if (epoch !== this.epoch) return;
    this.epoch++;
    this.signingSessions -= this.idle.length;
    this.idle.length = 0;
    try {
      this.control = this.login();
    } finally {
      for (let i = this.waiting.length; i > 0; i--) this.wakeOne();
    }
  }

  /** Opens the housekeeping session and logs the user in; a readable error otherwise. */
  private login(): Pkcs11Js.Handle {
    const { lib, pkcs11, config } = this;
    const session = this.openSession(this.slot());
    try {
      pkcs11.C_Login(session, lib.CKU_USER, config.pin);
    } catch (err) {
      // Another token object of this process may have logged the token in already (login is per token).
      if (!/CKR_USER_ALREADY_LOGGED_IN/.test(String((err as Error).message))) {
        this.closeQuietly(session);
        throw new Error(`cannot log in to PKCS#11 token "${config.label}" (KYSO_PKCS11_PIN): ${(err as Error).message}`, { cause: err });
      }
    }
    return session;
  }

  private slot(): Pkcs11Js.Handle {
    const { pkcs11, config } = this;
    const slot = pkcs11.C_GetSlotList(true).find((s) => pkcs11.C_GetTokenInfo(s).label.replace(/[\s\0]+$/, '') === config.label);
    if (!slot) throw new Error(`no PKCS#11 token labelled "${config.label}" in ${config.module} (KYSO_PKCS11_TOKEN)`);
    return slot;
  }

  private openSession(slot: Pkcs11Js.Handle): Pkcs11Js.Handle {
    return this.pkcs11.C_OpenSession(slot, this.lib.CKF_SERIAL_SESSION | this.lib.CKF_RW_SESSION);
  }

  private closeQuietly(session: Pkcs11Js.Handle): void {
    try {
      this.pkcs11.C_CloseSession(session);
    } catch {
      // already closed by the token
    }
  }

  private readable(err: unknown): Error {
    return new Error(`PKCS#11 token "${this.config.label}": ${(err as Error).message}`, { cause: err });
  }

  /** The private and public halves of the key pair with CKA_ID `id`. */
  private keyPair(session: Pkcs11Js.Handle, id: string): Pkcs11Js.Handle[] {
    return [this.find(session, id, this.lib.CKO_PRIVATE_KEY), this.find(session, id, this.lib.CKO_PUBLIC_KEY)];
  }

  private find(session: Pkcs11Js.Handle, id: string, objectClass: number): Pkcs11Js.Handle {
    const { lib, pkcs11 } = this;
    pkcs11.C_FindObjectsInit(session, [
      { type: lib.CKA_CLASS, value: objectClass },
      { type: lib.CKA_ID, value: Buffer.from(id, 'hex') },
    ]);
    try {
      const [handle] = pkcs11.C_FindObjects(session, 1);
      if (!handle) throw new Error(`no key with CKA_ID ${id} in PKCS#11 token "${this.config.label}"`);
      return handle;
    } finally {
      pkcs11.C_FindObjectsFinal(session);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`the session on PKCS#11 token "${this.config.label}" is closed`);
  }
}

/**
 * C_Initialize with OS locking (the pool's sessions sign on several threads at once; without
 * CKF_OS_LOCKING_OK a library may assume one thread), tolerating a library this process
 * initialized before (the native state outlives module reloads).
 */
function initialize(pkcs11: Pkcs11Js.PKCS11, lib: typeof Pkcs11Js): void {
  try {
    pkcs11.C_Initialize({ flags: lib.CKF_OS_LOCKING_OK });
  } catch (err) {
    if (!/CKR_CRYPTOKI_ALREADY_INITIALIZED/.test(String((err as Error).message))) throw err;
  }
}

/** PKCS#11 ECDSA signatures are r‖s, each the curve's size; X.509 and CMS want Ecdsa-Sig-Value (RFC 3279 §2.2.3). */
function rawToDerSignature(raw: Uint8Array): Buffer {
  const half = raw.length / 2;
  return sequence(unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half)));
}

