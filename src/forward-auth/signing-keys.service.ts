import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { SigningKey } from './signing-key.entity.js';
import { SigningKeyRepository } from './signing-key.repository.js';
import { SigningKeySeal } from './signing-key-seal.js';

const ALG = 'ES256';
/** How often each instance re-reads the key table (and adds the next key when one is due). */
const REFRESH_INTERVAL_MS = 60_000;
/**
 * A new key is published this long before it signs, so every instance has loaded it and every
 * verifier that caches the JWKS for up to this long knows it before it meets an assertion signed with it.
 */
export const PUBLISH_AHEAD_SECONDS = 15 * 60;

interface LoadedKey {
  kid: string;
  activeFrom: number;
  publicJwk: JWK;
  privateKey: CryptoKey | Uint8Array;
}

/**
 * ES256 keys for forward-auth assertions, kept in PostgreSQL so that every instance signs only with
 * keys the JWKS already publishes. Rotation: the next key is added `PUBLISH_AHEAD_SECONDS` before
 * it takes over, and the old one stays published for a whole rotation period after that.
 */
@Injectable()
export class SigningKeysService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SigningKeysService.name);
  private keys: LoadedKey[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: SigningKeyRepository,
    private readonly seal: SigningKeySeal,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.seal.available) {
      if (await this.repository.anySealed()) throw new Error('ENCRYPTION_KEY is missing: the stored assertion signing keys cannot be read without it');
      this.logger.warn('ENCRYPTION_KEY is not set: assertion signing keys are stored unencrypted. Set it (openssl rand -hex 32) and restart to seal them.');
    }
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: Error) => this.logger.warn(`signing key refresh failed: ${error.message}`));
    }, REFRESH_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Adds the next key when one is due, seals keys kept unsealed, then loads every published key. */
  async refresh(): Promise<void> {
    await this.repository.withRotationLock(async (manager) => {
      const newest = await this.repository.newest(manager);
      const rotation = this.config.forwardAuth.keyRotationSeconds * 1000;
      const now = Date.now();
      if (!newest) {
        // The very first key: nobody can have cached a JWKS yet, so it signs at once.
        await this.repository.insert(manager, await this.newKey(new Date(now)));
      } else if (newest.activeFrom.getTime() <= now && newest.activeFrom.getTime() + rotation - PUBLISH_AHEAD_SECONDS * 1000 <= now) {
        await this.repository.insert(manager, await this.newKey(new Date(now + PUBLISH_AHEAD_SECONDS * 1000)));
        this.logger.log(`next assertion signing key published; it signs from ${new Date(now + PUBLISH_AHEAD_SECONDS * 1000).toISOString()}`);
      }
      await this.repository.deleteRetired(manager);
      if (this.seal.available) {
        for (const key of await this.repository.unsealed(manager)) {
          await this.repository.replacePrivateKey(manager, key.kid, this.seal.seal(this.seal.open(key.privateJwk, key.kid), key.kid));
        }
      }
    });
    this.keys = await Promise.all((await this.repository.published()).map((key) => this.load(key)));
  }

  /** RFC 7517 JWKS of every published key (the next one included). */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((key) => key.publicJwk) };
  }

  /** The id of the key that signs now. */
  activeKid(): string | undefined {
    return this.activeKey()?.kid;
  }

  /** Signs with the newest key whose time has come (its id is returned too); in memory, without a database round trip. */
  async sign(claims: JWTPayload & { aud: string; sub: string }, lifetime: { issuedAt: number; ttlSeconds: number }): Promise<{ jwt: string; kid: string }> {
    const key = this.activeKey();
    if (!key) throw new Error('no assertion signing key is active');
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.config.publicUrl.origin)
      .setIssuedAt(lifetime.issuedAt)
      .setExpirationTime(lifetime.issuedAt + lifetime.ttlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { jwt, kid: key.kid };
  }

  private activeKey(): LoadedKey | undefined {
    const now = Date.now();
    return this.keys.find((candidate) => candidate.activeFrom <= now);
  }

  private async newKey(activeFrom: Date): Promise<Pick<SigningKey, 'kid' | 'privateJwk' | 'publicJwk' | 'activeFrom' | 'publishedUntil'>> {
    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ALG };
    // Published through its own signing period and one more, so a successor never strands a verifier.
    const publishedUntil = new Date(activeFrom.getTime() + 2 * this.config.forwardAuth.keyRotationSeconds * 1000 + PUBLISH_AHEAD_SECONDS * 1000);
    return { kid, privateJwk: this.seal.seal(privateJwk, kid), publicJwk, activeFrom, publishedUntil };
  }

  private async load(key: SigningKey): Promise<LoadedKey> {
    const known = this.keys.find((loaded) => loaded.kid === key.kid);
    if (known) return { ...known, activeFrom: key.activeFrom.getTime() };
    return { kid: key.kid, activeFrom: key.activeFrom.getTime(), publicJwk: key.publicJwk, privateKey: await importJWK(this.seal.open(key.privateJwk, key.kid), ALG) };
  }
}
