import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { developmentKey, parseEncryptionKey, SecretBox, SecretBoxError } from './secret-box.js';

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox(randomBytes(32));

  it('seals to something that does not contain the secret and opens it again', () => {
    const sealed = box.seal('s3cret-value', 'acme');
    expect(sealed).not.toContain('s3cret-value');
    expect(sealed).toMatch(/^v1:/);
    expect(box.open(sealed, 'acme')).toBe('s3cret-value');
    expect(box.seal('s3cret-value', 'acme')).not.toBe(sealed);
  });

  it('refuses another provider id, another key and altered data', () => {
    const sealed = box.seal('s3cret-value', 'acme');
    expect(() => box.open(sealed, 'other')).toThrow(SecretBoxError);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'acme')).toThrow(SecretBoxError);
    const parts = sealed.split(':');
    parts[3] = Buffer.from('x' + Buffer.from(parts[3], 'base64url').toString('latin1')).toString('base64url');
    expect(() => box.open(parts.join(':'), 'acme')).toThrow(SecretBoxError);
    expect(() => box.open('plain', 'acme')).toThrow(SecretBoxError);
  });

  it('reads ENCRYPTION_KEY as hex or base64, and refuses other lengths', () => {
    const key = randomBytes(32);
    expect(parseEncryptionKey(key.toString('hex'))).toEqual(key);
    expect(parseEncryptionKey(key.toString('base64'))).toEqual(key);
    expect(parseEncryptionKey(key.toString('base64url'))).toEqual(key);
    expect(parseEncryptionKey('too-short')).toBeUndefined();
    expect(parseEncryptionKey(randomBytes(16).toString('hex'))).toBeUndefined();
  });

  it('generates a development key once, private to this user, and reuses it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'frontdoor-key-'));
    try {
      const first = await developmentKey(join(dir, 'data'));
      const second = await developmentKey(join(dir, 'data'));
      expect(second).toEqual(first);
      expect((await stat(join(dir, 'data', 'encryption.key'))).mode & 0o777).toBe(0o600);
      expect((await readFile(join(dir, 'data', 'encryption.key'), 'utf8')).trim()).toBe(first.toString('hex'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
