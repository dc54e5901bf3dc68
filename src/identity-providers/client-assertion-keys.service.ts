import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SignJWT, type JWK } from 'jose';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RotatingKeySet, type LoadedKey } from '../signing-keys/rotating-key-set.js';
import { pemToDer, selfSignedCertificate } from '../signing-keys/self-signed-certificate.js';
import { SigningKeyRepository } from '../signing-keys/signing-key.repository.js';
import { SigningKeySeal } from '../signing-keys/signing-key-seal.js';
import type { AssertionKeyChoice, ClientAssertionSigner } from './client-auth.js';

/** RFC 7523 §3 asks for a short life; the contract caps it at 5 minutes. */
export const CLIENT_ASSERTION_TTL_SECONDS = 120;
/** A certificate is valid from a little before it is made, for providers whose clocks run behind. */
const CERTIFICATE_BACKDATE_MS = 60 * 60 * 1000;

export interface ClientCertificate {
  kid: string;
  pem: string;
  /** When its key signs (or signed) its first assertion. */
  activeFrom: Date;
  /** RFC 7515 `x5t#S256`: base64url SHA-256 of the DER. */
  thumbprintSha256: string;
}

/**
 * The RS256 keys this service signs private_key_jwt client assertions with: a `RotatingKeySet` of
 * purpose `client-assertion` in the sealed key table, the same keys on every instance. The public
 * keys go out two ways: the JWKS at `/auth/client-jwks.json` (providers that fetch it) and a
 * self-signed certificate per key (providers that take an upload), made once with the key.
 */
@Injectable()
export class ClientAssertionKeysService implements OnApplicationBootstrap, OnApplicationShutdown, ClientAssertionSigner {
  private readonly logger = new Logger(ClientAssertionKeysService.name);
  private readonly keys: RotatingKeySet;
  private started?: Promise<void>;

  constructor(@Inject(APP_CONFIG) config: AppConfig, repository: SigningKeyRepository, seal: SigningKeySeal) {
    this.keys = new RotatingKeySet(repository, seal, {
      purpose: 'client-assertion',
      alg: 'RS256',
      rotationSeconds: config.clientAssertion.keyRotationSeconds,
      publishAheadSeconds: config.clientAssertion.publishAheadSeconds,
      thumbprintKid: true,
      certify: async ({ privateKey, publicKey, notAfter }) =>
        selfSignedCertificate({ privateKey, publicKey, commonName: `${config.publicUrl.host} identity front door`, notBefore: new Date(Date.now() - CERTIFICATE_BACKDATE_MS), notAfter }),
    });
  }

  /**
   * Making a first RSA key takes a quarter of a second or more, so start-up does not wait for it:
   * every use below waits for the keys instead, and a start that failed (the database away) is
   * tried again by the next use. (Sealed keys without ENCRYPTION_KEY still stop start-up: the
   * forward-auth key set makes that check on the same table and is awaited.)
   */
  onApplicationBootstrap(): void {
    this.ready().catch((error: Error) => this.logger.error(`client assertion keys could not be loaded: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.started?.catch(() => undefined);
    this.keys.stop();
  }

  private ready(): Promise<void> {
    this.started ??= this.keys.start().catch((error: unknown) => {
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  async refresh(): Promise<void> {
    await this.ready();
    await this.keys.refresh();
  }

  /** Every published key (the next one included), public members only. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.ready();
    return this.keys.jwks();
  }

  async nextKeyActiveFrom(): Promise<Date | undefined> {
    await this.ready();
    const next = this.keys.next();
    return next ? new Date(next.activeFrom) : undefined;
  }

  /** The certificate of the key that signs now, or of the one that signs next (to upload ahead). */
  async certificate(which: 'current' | 'next'): Promise<ClientCertificate | undefined> {
    await this.ready();
    const key = which === 'current' ? this.keys.current() : this.keys.next();
    return key?.certificatePem ? certificateOf(key, key.certificatePem) : undefined;
  }

  /**
   * An RFC 7523 client assertion (OpenID Connect Core §9, private_key_jwt): iss = sub = the client
   * id, aud = the token endpoint, a unique jti, two minutes of life. The header names the key by
   * `kid` (for JWKS) and by certificate thumbprint (for uploads): `x5t#S256`, and `x5t` (SHA-1),
   * which Entra ID reads for RS256.
   */
  async sign(input: { clientId: string; audience: string; key?: AssertionKeyChoice }): Promise<string> {
    await this.ready();
    const now = Date.now();
    const key = input.key === 'next' ? this.keys.next(now) : this.keys.current(now);
    if (!key) throw new Error('no next client assertion key is published yet');
    const certificate = key.certificatePem ? pemToDer(key.certificatePem) : undefined;
    const thumbprints = certificate
      ? { 'x5t#S256': createHash('sha256').update(certificate).digest('base64url'), x5t: createHash('sha1').update(certificate).digest('base64url') }
      : {};
    const issuedAt = Math.floor(now / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid, ...thumbprints })
      .setIssuer(input.clientId)
      .setSubject(input.clientId)
      .setAudience(input.audience)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + CLIENT_ASSERTION_TTL_SECONDS)
      .setJti(randomUUID())
      .sign(key.privateKey);
  }
}

function certificateOf(key: LoadedKey, pem: string): ClientCertificate {
  return { kid: key.kid, pem, activeFrom: new Date(key.activeFrom), thumbprintSha256: createHash('sha256').update(pemToDer(pem)).digest('base64url') };
}
