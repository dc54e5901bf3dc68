import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '../config/app-config.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const KEY_BYTES = 32;

export class SecretBoxError extends Error {}

/**
 * AES-256-GCM for secrets at rest (providers' client secrets, assertion signing keys). The owner's
 * id is bound in as additional data, so a sealed secret copied onto another row does not open.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new SecretBoxError('the encryption key must be 32 bytes');
  }

  seal(plaintext: string, context: string): string {
    // A fresh random 96-bit nonce per message: GCM must never reuse one under the same key.
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join(':');
  }

  open(sealed: string, context: string): string {
    const [version, iv, tag, body] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new SecretBoxError('not a sealed secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('the secret does not open with this ENCRYPTION_KEY (another key, or altered data)');
    }
  }
}

/** ENCRYPTION_KEY as 64 hex characters or 32 bytes in base64/base64url; undefined when it is neither. */
export function parseEncryptionKey(raw: string): Buffer | undefined {
  const value = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  const decoded = Buffer.from(value, 'base64url');
  return decoded.length === KEY_BYTES && /^[A-Za-z0-9+/_-]{43}=?$/.test(value) ? decoded : undefined;
}

/**
 * Outside production without ENCRYPTION_KEY: a key generated once and kept beside the embedded
 * database, readable by this user only, so stored secrets survive a restart.
 */
export async function developmentKey(dataDir: string): Promise<Buffer> {
  const file = join(dataDir, 'encryption.key');
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined) {
    const key = parseEncryptionKey(existing);
    if (!key) throw new SecretBoxError(`${file} does not hold a 32-byte key`);
    return key;
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(KEY_BYTES);
  // 'wx' fails when another process created the file meanwhile; then its key is the one to use.
  try {
    await writeFile(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    await chmod(file, 0o600);
    return key;
  } catch {
    return developmentKey(dataDir);
  }
}

/**
 * The key for secrets at rest: ENCRYPTION_KEY; outside production without it, the development key
 * kept under the data dir; in production without it, none, and nothing can be sealed.
 */
export async function atRestKey(config: Pick<AppConfig, 'encryptionKey' | 'production' | 'embeddedPostgres'>): Promise<Buffer | undefined> {
  return config.encryptionKey ?? (config.production ? undefined : await developmentKey(config.embeddedPostgres.dataDir));
}
