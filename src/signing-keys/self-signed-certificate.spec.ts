import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certificateThumbprint, pemToDer, selfSignedCertificate } from './self-signed-certificate.js';

describe('selfSignedCertificate', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;

  it('makes a certificate Node reads, for the given key, signed by itself, with the given names and dates', () => {
    const notBefore = new Date('2026-12-01T00:00:00Z');
    const notAfter = new Date('2027-06-01T12:30:00Z');
    const pem = selfSignedCertificate({ privateKey, publicKey, commonName: 'front door client été', notBefore, notAfter });
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----\n$/);
    const certificate = new X509Certificate(pem);
    expect(certificate.publicKey.equals(publicKey)).toBe(true);
    expect(certificate.verify(publicKey)).toBe(true);
    expect(certificate.verify(otherKey)).toBe(false);
    expect(certificate.subject).toBe('CN=front door client été');
    expect(certificate.issuer).toBe(certificate.subject);
    expect(new Date(certificate.validFrom).toISOString()).toBe(notBefore.toISOString());
    expect(new Date(certificate.validTo).toISOString()).toBe(notAfter.toISOString());
    expect(certificate.ca).toBe(false);
    // keyUsage (2.5.29.15), critical, digitalSignature only: Node does not expose it, so by its bytes.
    expect(pemToDer(pem).includes(Buffer.from('0603551d0f0101ff040403020780', 'hex'))).toBe(true);
  });

  it('writes dates from 2050 on as GeneralizedTime, and each certificate gets its own serial number', () => {
    const make = () => selfSignedCertificate({ privateKey, publicKey, commonName: 'x', notBefore: new Date('2049-12-31T23:59:59Z'), notAfter: new Date('2051-01-02T03:04:05Z') });
    const [one, two] = [new X509Certificate(make()), new X509Certificate(make())];
    expect(new Date(one.validTo).toISOString()).toBe('2051-01-02T03:04:05.000Z');
    expect(new Date(one.validFrom).toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(one.serialNumber).not.toBe(two.serialNumber);
  });

  it('refuses a key that is not RSA', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => selfSignedCertificate({ ...ec, commonName: 'x', notBefore: new Date(), notAfter: new Date() })).toThrow(/only RSA/);
  });

  it('gives the x5t#S256 thumbprint: base64url SHA-256 of the DER', () => {
    const pem = selfSignedCertificate({ privateKey, publicKey, commonName: 'x', notBefore: new Date(), notAfter: new Date(Date.now() + 86_400_000) });
    expect(certificateThumbprint(pem)).toBe(createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url'));
  });
});
