import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { KeyPurpose, SigningKey } from './signing-key.entity.js';
import type { NewSigningKey, SigningKeyRepository } from './signing-key.repository.js';
import type { SigningKeySeal } from './signing-key-seal.js';

/** How often each instance re-reads the key table (and adds the next key when one is due). */
const REFRESH_INTERVAL_MS = 60_000;

export interface KeySetOptions {
  purpose: KeyPurpose;
  alg: 'ES256' | 'RS256';
  /** How long a key signs before its successor takes over. */
  rotationSeconds: number;
  /**
   * How long a new key is published before it signs: long enough for every instance to load it
   * and for every verifier that caches the JWKS (or needs the key uploaded) to know it first.
   */
  publishAheadSeconds: number;
  /** Public material made once with a new key and kept in its row (a certificate, for providers that take an upload). */
  certify?: (key: { kid: string; privateKey: CryptoKey; publicKey: CryptoKey; notAfter: Date }) => Promise<string>;
  /**
   * Key ids as RFC 7638 thumbprints of the public key instead of random ones: verifiers that hold an
   * uploaded key (Auth0) name it by its thumbprint, so an assertion's `kid` matches it there too.
   */
  thumbprintKid?: boolean;
}

/**
 * When the key to add now should start signing, or undefined when none is due: the very first key
 * at once (nobody can have cached a JWKS yet), a successor `publishAhead` before the newest key's
 * period ends, and nothing while a successor already waits. After a stop so long that the newest
 * key is no longer published, a key signs at once too: waiting would leave nothing to sign with.
 */
export function nextKeyActivation(newest: { activeFrom: number; publishedUntil: number } | undefined, now: number, periods: { rotationMs: number; publishAheadMs: number }): number | undefined {
  if (!newest || newest.publishedUntil <= now) return now;
  if (newest.activeFrom > now) return undefined;
  return newest.activeFrom + periods.rotationMs - periods.publishAheadMs <= now ? now + periods.publishAheadMs : undefined;
}

export interface LoadedKey {
  kid: string;
  activeFrom: number;
  publishedUntil: number;
  publicJwk: JWK;
  privateKey: CryptoKey | Uint8Array;
  certificatePem?: string;
}

/**
 * A rotating set of signing keys of one purpose, kept in PostgreSQL so that every instance signs
 * only with keys the JWKS already publishes. Rotation: the next key is added `publishAheadSeconds`
 * before it takes over, and the old one stays published for a whole rotation period after that.
 * Signing reads the keys held in memory, refreshed every minute, never the database.
 */
export class RotatingKeySet {
  private readonly logger: Logger;
  private keys: LoadedKey[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repository: SigningKeyRepository,
    private readonly seal: SigningKeySeal,
    private readonly options: KeySetOptions,
  ) {
    this.logger = new Logger(`SigningKeys:${options.purpose}`);
  }

  async start(): Promise<void> {
    if (!this.seal.available) {
      if (await this.repository.anySealed()) throw new Error('ENCRYPTION_KEY is missing: the stored assertion signing keys cannot be read without it');
      this.logger.warn(`ENCRYPTION_KEY is not set: ${this.options.purpose} signing keys are stored unencrypted. Set it (openssl rand -hex 32) and restart to seal them.`);
    }
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: Error) => this.logger.warn(`signing key refresh failed: ${error.message}`));
    }, REFRESH_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Adds the next key when one is due, seals keys kept unsealed, then loads every published key. */
  async refresh(): Promise<void> {
    const { purpose } = this.options;
    await this.repository.withRotationLock(async (manager) => {
      const newest = await this.repository.newest(manager, purpose);
      const activation = nextKeyActivation(newest ? { activeFrom: newest.activeFrom.getTime(), publishedUntil: newest.publishedUntil.getTime() } : undefined, Date.now(), {
        rotationMs: this.options.rotationSeconds * 1000,
        publishAheadMs: this.options.publishAheadSeconds * 1000,
      });
      if (activation !== undefined) {
        await this.repository.insert(manager, await this.newKey(new Date(activation)));
        if (newest) this.logger.log(`next ${purpose} signing key published; it signs from ${new Date(activation).toISOString()}`);
      }
      await this.repository.deleteRetired(manager, purpose);
      if (this.seal.available) {
        for (const key of await this.repository.unsealed(manager, purpose)) {
          await this.repository.replacePrivateKey(manager, key.kid, this.seal.seal(this.seal.open(key.privateJwk, key.kid), key.kid));
        }
      }
    });
    this.keys = await Promise.all((await this.repository.published(purpose)).map((key) => this.load(key)));
  }

  /** RFC 7517 JWKS of every published key (the next one included), public members only. */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((key) => key.publicJwk) };
  }

  /** The newest key whose time has come: the one that signs now. */
  current(now = Date.now()): LoadedKey {
    const key = this.keys.find((candidate) => candidate.activeFrom <= now);
    if (!key) throw new Error(`no ${this.options.purpose} signing key is active`);
    return key;
  }

  /** The published key that signs next, while one waits for its time. */
  next(now = Date.now()): LoadedKey | undefined {
    return this.keys.filter((candidate) => candidate.activeFrom > now).at(-1);
  }

  get alg(): string {
    return this.options.alg;
  }

  private async newKey(activeFrom: Date): Promise<NewSigningKey> {
    const { alg, purpose } = this.options;
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
    const exported = await exportJWK(publicKey);
    const kid = this.options.thumbprintKid ? await calculateJwkThumbprint(exported) : randomUUID();
    const publicJwk = { ...exported, kid, alg, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
    // Published through its own signing period and one more, so a successor never strands a verifier.
    const publishedUntil = new Date(activeFrom.getTime() + (2 * this.options.rotationSeconds + this.options.publishAheadSeconds) * 1000);
    const certificatePem = this.options.certify ? await this.options.certify({ kid, privateKey, publicKey, notAfter: publishedUntil }) : null;
    return { kid, purpose, privateJwk: this.seal.seal(privateJwk, kid), publicJwk, certificatePem, activeFrom, publishedUntil };
  }

  private async load(key: SigningKey): Promise<LoadedKey> {
    const known = this.keys.find((loaded) => loaded.kid === key.kid);
    const times = { activeFrom: key.activeFrom.getTime(), publishedUntil: key.publishedUntil.getTime() };
    if (known) return { ...known, ...times };
    return {
      kid: key.kid,
      ...times,
      publicJwk: key.publicJwk,
      privateKey: await importJWK(this.seal.open(key.privateJwk, key.kid), this.options.alg),
      ...(key.certificatePem ? { certificatePem: key.certificatePem } : {}),
    };
  }
}
