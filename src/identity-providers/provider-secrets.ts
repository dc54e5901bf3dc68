import { HttpStatus } from '@nestjs/common';
import { DomainException } from '../common/domain.exception.js';
import { SecretBox } from '../common/secret-box.js';

/** Client secrets at rest; without a key (production without ENCRYPTION_KEY) none can be stored. */
export class ProviderSecrets {
  private readonly box?: SecretBox;

  constructor(key: Buffer | undefined) {
    this.box = key ? new SecretBox(key) : undefined;
  }

  get available(): boolean {
    return this.box !== undefined;
  }

  seal(secret: string, providerId: string): string {
    if (!this.box) {
      throw new DomainException('encryption_key_missing', HttpStatus.CONFLICT, 'Client secrets cannot be stored: ENCRYPTION_KEY is not set. Set it (openssl rand -hex 32) and restart.');
    }
    return this.box.seal(secret, providerId);
  }

  open(sealed: string, providerId: string): string {
    if (!this.box) throw new Error('ENCRYPTION_KEY is not set');
    return this.box.open(sealed, providerId);
  }
}
