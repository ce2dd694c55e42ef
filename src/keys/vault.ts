import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { unwrapKey, wrapKey, type WrappedKey } from '../pki/key-wrap.js';
import { encodePkcs12 } from '../pki/pkcs12.js';
import type { RandomSource } from '../pki/serial.js';
import { KeyObjectSigner, type Signer } from '../pki/signer.js';
import { loadMasterKey } from './master-key.js';
import { unwrapWithPin, wrapWithPin, type PinKdf } from './pin-key.js';
import { Pkcs11Token, type Curve, type TokenConfig } from './pkcs11.js';
import { SignerPool } from './signer-pool.js';

export type { Curve } from './pkcs11.js';
export type { PinKdf } from './pin-key.js';

/** A reference to a private key that lives in a PKCS#11 token: the database holds this, never the key. */
export interface TokenKeyRef {
  readonly v: 'pkcs11';
  /** Label of the token the key was generated in. */
  readonly token: string;
  /** CKA_ID of the key pair, hex. */
  readonly id: string;
}

/** How a CA or service key is stored: wrapped by the master key, or a reference into the token. */
export type StoredKey = WrappedKey | TokenKeyRef;

/** A CA or service key just generated: sign with it at once, store it with `seal` once its owner has a name. */
export interface NewServiceKey {
  readonly signer: Signer;
  /** Binds the key to its owner (a `certificate_authorities` name) and returns what to store. */
  seal(owner: string): StoredKey;
}

/** Makes new service keys for one piece of work (`KeyVault.withNewServiceKeys`). */
export type ServiceKeyMaker = (curve: Curve) => Promise<NewServiceKey>;

/** The private halves of generated `file` keys, reachable only from this module. */
const fileKeys = new WeakMap<GeneratedFileKey, KeyObject>();

/** A key kyso generated for a `file` certificate, held until issuance seals it to the certificate's id. */
export interface GeneratedFileKey {
  /** DER SubjectPublicKeyInfo. */
  readonly publicKeyInfo: Buffer;
}

/** A signing-account key the PIN opened: a signer, and a way to re-wrap it under a new PIN. */
export interface OpenedAccountKey {
  readonly signer: Signer;
  rewrap(newPin: string): Promise<{ wrappedKey: WrappedKey; kdf: PinKdf }>;
}

/** The algorithms a signing account key can have (signing_accounts.key_algorithm). */
export type AccountKeyAlgorithm = 'ecdsa-p256' | 'rsa-2048';

// The AAD of each kind of wrapped key: one per owner, so a wrapped key cannot be moved onto another row.
const serviceKeyAad = (owner: string): string => `ca:${owner}`;
const certificateKeyAad = (certificateId: string): string => `certificate:${certificateId}`;

/**
 * The one place that holds kyso's key material: the master key and, when configured, the PKCS#11
 * session. It generates keys, seals them for the database (master-key-wrapped, PIN-wrapped for
 * signing accounts, or a reference into the token) and opens them as `Signer`s. Nothing outside
 * src/keys sees a raw private key or the master key.
 */
export class KeyVault {
  readonly #masterKey: Buffer;
  readonly #token: Pkcs11Token | undefined;
  readonly #pool = new SignerPool();

  private constructor(
    masterKey: Buffer,
    token: Pkcs11Token | undefined,
    private readonly random: RandomSource,
    /** Where the master key came from, for the start-up log (never the key). */
    readonly masterKeySource: string,
  ) {
    this.#masterKey = masterKey;
    this.#token = token;
  }

  /**
   * Opens the vault: the master key (KYSO_MASTER_KEY, or `dataDir/master.key` in development) and,
   * when `pkcs11` is given, a logged-in session on that token.
   */
  static open(options: { masterKey: Buffer | undefined; dataDir: string; pkcs11?: TokenConfig; random: RandomSource }): KeyVault {
    const master = loadMasterKey(options.masterKey, options.dataDir);
    const token = options.pkcs11 ? Pkcs11Token.open(options.pkcs11) : undefined;
    return new KeyVault(master.key, token, options.random, master.source);
  }

  /** The token label CA and service keys are generated in, or undefined for soft keys. */
  get tokenLabel(): string | undefined {
    return this.#token?.label;
  }

  /**
   * A new CA, OCSP responder, TSA or audit-checkpoint key: in the token when one is configured
   * (sensitive, non-extractable), else a soft key wrapped by the master key when sealed. Keys that
   * are stored in a transaction come from `withNewServiceKeys`, which removes them if it fails.
   */
  async generateServiceKey(curve: Curve): Promise<NewServiceKey> {
    return (await this.#generateServiceKey(curve)).key;
  }

  async #generateServiceKey(curve: Curve): Promise<{ key: NewServiceKey; tokenId?: string }> {
    const token = this.#token;
    if (token) {
      const { id, signer } = token.generate(curve, 'kyso (unassigned)');
      const seal = (owner: string): TokenKeyRef => {
        token.relabel(id, `kyso ${serviceKeyAad(owner)}`);
        return { v: 'pkcs11', token: token.label, id };
      };
      return { key: { signer, seal }, tokenId: id };
    }
    const key = await generateSoftKey('ec', curve);
    return {
      key: {
        signer: new KeyObjectSigner(key),
        seal: (owner) => wrapKey(this.#masterKey, key.export({ type: 'pkcs8', format: 'der' }), serviceKeyAad(owner)),
      },
    };
  }

  /**
   * Runs `work` (which ends when its transaction commits) with a maker of new service keys; when
   * it fails, the keys it made in the token are destroyed again, so a CA or service identity that
   * was never stored (a rolled-back transaction, a refused rollover) leaves no key object behind.
   * Soft keys need nothing: unsealed or rolled back, they were never stored.
   */
  async withNewServiceKeys<T>(work: (generate: ServiceKeyMaker) => Promise<T>): Promise<T> {
    const made: string[] = [];
    const token = this.#token;
    try {
      return await work(async (curve) => {
        const { key, tokenId } = await this.#generateServiceKey(curve);
        if (tokenId) made.push(tokenId);
        return key;
      });
    } catch (err) {
      for (const id of made) {
        try {
          token!.destroy(id);
        } catch (destroyErr) {
          // The caller's failure is the one to report; this one rides along on it.
          const failed = err as Error & { suppressed?: unknown[] };
          (failed.suppressed ??= []).push(destroyErr);
        }
      }
      throw err;
    }
  }

  /** A Signer over the stored key of `owner` (a `certificate_authorities` name). */
  openServiceKey(stored: StoredKey, owner: string): Signer {
    if (isTokenRef(stored)) {
      if (!this.#token) {
        throw new Error(`the key of ${owner} is in PKCS#11 token "${stored.token}": set KYSO_PKCS11_MODULE, KYSO_PKCS11_TOKEN and KYSO_PKCS11_PIN`);
      }
      if (stored.token !== this.#token.label) throw new Error(`the key of ${owner} is in token "${stored.token}", not "${this.#token.label}"`);
      return this.#token.signer(stored.id, `kyso ${serviceKeyAad(owner)}`);
    }
    const pkcs8 = unwrapKey(this.#masterKey, stored, serviceKeyAad(owner));
    return new KeyObjectSigner(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
  }

  /** A P-256 key for a `file` certificate (quick to make, accepted by Adobe, Windows and openssl). */
  async generateFileKey(): Promise<GeneratedFileKey> {
    const key = await generateSoftKey('ec', 'P-256');
    const generated: GeneratedFileKey = Object.freeze({ publicKeyInfo: createPublicKey(key).export({ type: 'spki', format: 'der' }) });
    fileKeys.set(generated, key);
    return generated;
  }

  /** Wraps a generated `file` key under the master key, bound to its certificate until delivery. */
  sealFileKey(key: GeneratedFileKey, certificateId: string): WrappedKey {
    const privateKey = fileKeys.get(key);
    if (!privateKey) throw new Error('not a key this vault generated');
    return wrapKey(this.#masterKey, privateKey.export({ type: 'pkcs8', format: 'der' }), certificateKeyAad(certificateId));
  }

  /** The `file` certificate's key and certificates as a password-protected PKCS#12 (RFC 7292). */
  deliverFileKey(
    wrapped: WrappedKey,
    certificateId: string,
    pkcs12: { certificates: readonly Uint8Array[]; password: string; friendlyName?: string },
  ): Buffer {
    const pkcs8 = unwrapKey(this.#masterKey, wrapped, certificateKeyAad(certificateId));
    const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    return encodePkcs12({ ...pkcs12, privateKey, random: this.random });
  }

  /** A signing account's key, generated and wrapped under its PIN and the master key (pin-key.ts). */
  async generateAccountKey(
    accountId: string,
    pin: string,
    algorithm: AccountKeyAlgorithm,
  ): Promise<{ publicKeyInfo: Buffer; wrappedKey: WrappedKey; kdf: PinKdf }> {
    const key = algorithm === 'rsa-2048' ? await generateSoftKey('rsa', 2048) : await generateSoftKey('ec', 'P-256');
    const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
    const { wrappedKey, kdf } = await wrapWithPin(this.#masterKey, this.random, accountId, pin, pkcs8);
    return { publicKeyInfo: createPublicKey(key).export({ type: 'spki', format: 'der' }), wrappedKey, kdf };
  }

  /**
   * Opens a signing account's key with its PIN: undefined when the PIN is wrong. Batches signed
   * with it (`signMany`) run on the vault's worker threads.
   */
  async openAccountKey(accountId: string, pin: string, wrapped: WrappedKey, kdf: PinKdf): Promise<OpenedAccountKey | undefined> {
    const pkcs8 = await unwrapWithPin(this.#masterKey, accountId, pin, wrapped, kdf);
    if (!pkcs8) return undefined;
    return {
      signer: this.#pool.signer(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }), pkcs8),
      rewrap: (newPin) => wrapWithPin(this.#masterKey, this.random, accountId, newPin, pkcs8),
    };
  }

  /** Closes the token session (the master key goes with the process). */
  close(): void {
    this.#token?.close();
  }
}

/** True when a stored key is a reference into a PKCS#11 token. */
export function isTokenRef(stored: StoredKey): stored is TokenKeyRef {
  return (stored as TokenKeyRef).v === 'pkcs11';
}

function generateSoftKey(type: 'ec', curve: Curve): Promise<KeyObject>;
function generateSoftKey(type: 'rsa', modulusLength: number): Promise<KeyObject>;
function generateSoftKey(type: 'ec' | 'rsa', parameter: Curve | number): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, _publicKey: KeyObject, privateKey: KeyObject) => (err ? reject(err) : resolve(privateKey));
    if (type === 'rsa') generateKeyPair('rsa', { modulusLength: parameter as number }, done);
    else generateKeyPair('ec', { namedCurve: parameter as Curve }, done);
  });
}
