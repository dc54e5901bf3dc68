import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SignJWT, type JWK, type JWTPayload } from 'jose';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RotatingKeySet } from '../signing-keys/rotating-key-set.js';
import { SigningKeyRepository } from '../signing-keys/signing-key.repository.js';
import { SigningKeySeal } from '../signing-keys/signing-key-seal.js';

/**
 * A new key is published this long before it signs, so every instance has loaded it and every
 * verifier that caches the JWKS for up to this long knows it before it meets an assertion signed with it.
 */
export const PUBLISH_AHEAD_SECONDS = 15 * 60;

/**
 * ES256 keys for forward-auth assertions: a `RotatingKeySet` of purpose `forward-auth`, rotated
 * every `ASSERTION_KEY_ROTATION_SECONDS`, published at `/.well-known/jwks.json`.
 */
@Injectable()
export class SigningKeysService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly keys: RotatingKeySet;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    repository: SigningKeyRepository,
    seal: SigningKeySeal,
  ) {
    this.keys = new RotatingKeySet(repository, seal, {
      purpose: 'forward-auth',
      alg: 'ES256',
      rotationSeconds: config.forwardAuth.keyRotationSeconds,
      publishAheadSeconds: PUBLISH_AHEAD_SECONDS,
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.keys.start();
  }

  onApplicationShutdown(): void {
    this.keys.stop();
  }

  refresh(): Promise<void> {
    return this.keys.refresh();
  }

  /** RFC 7517 JWKS of every published key (the next one included). */
  jwks(): { keys: JWK[] } {
    return this.keys.jwks();
  }

  /** The id of the key that signs now, if one does. */
  activeKid(now = Date.now()): string | undefined {
    try {
      return this.keys.current(now).kid;
    } catch {
      return undefined;
    }
  }

  /** Signs with the newest key whose time has come (its id is returned too); in memory, without a database round trip. */
  async sign(claims: JWTPayload & { aud: string; sub: string }, lifetime: { issuedAt: number; ttlSeconds: number }): Promise<{ jwt: string; kid: string }> {
    const key = this.keys.current();
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: this.keys.alg, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.config.publicUrl.origin)
      .setIssuedAt(lifetime.issuedAt)
      .setExpirationTime(lifetime.issuedAt + lifetime.ttlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { jwt, kid: key.kid };
  }
}
