import { createHash, KeyObject, randomBytes, sign, type webcrypto } from 'node:crypto';

/**
 * A self-signed X.509 v3 certificate (RFC 5280) for an RSA key, as PEM: what Entra ID and Auth0 take
 * as a client's credential. Node reads certificates (X509Certificate) but cannot make one, and the
 * structure is fixed and small, so the DER is written here rather than pulling in an ASN.1 toolkit;
 * the specs read it back with Node's X509Certificate and check its signature.
 */
export function selfSignedCertificate(input: { privateKey: KeyObject | webcrypto.CryptoKey; publicKey: KeyObject | webcrypto.CryptoKey; commonName: string; notBefore: Date; notAfter: Date }): string {
  const privateKey = asKeyObject(input.privateKey);
  const publicKey = asKeyObject(input.publicKey);
  if (publicKey.asymmetricKeyType !== 'rsa') throw new Error('only RSA keys get a certificate');
  const sha256WithRsa = sequence(oid('1.2.840.113549.1.1.11'), NULL);
  const name = sequence(set(sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(input.commonName, 'utf8')))));
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))), // v3
    integer(serialNumber()),
    sha256WithRsa,
    name,
    sequence(time(input.notBefore), time(input.notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(
      0xa3,
      sequence(
        // basicConstraints: not a CA (the empty sequence is cA=false).
        sequence(oid('2.5.29.19'), BOOLEAN_TRUE, tlv(0x04, sequence())),
        // keyUsage: digitalSignature only (bit 0 of a one-byte bit string, 7 unused bits).
        sequence(oid('2.5.29.15'), BOOLEAN_TRUE, tlv(0x04, tlv(0x03, Buffer.from([0x07, 0x80])))),
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, sha256WithRsa, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const lines = der.toString('base64').match(/.{1,64}/g)!;
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** RFC 7515 §4.1.8 `x5t#S256`: the base64url SHA-256 of the certificate's DER. */
export function certificateThumbprint(pem: string): string {
  return createHash('sha256').update(pemToDer(pem)).digest('base64url');
}

export function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''), 'base64');
}

function asKeyObject(key: KeyObject | webcrypto.CryptoKey): KeyObject {
  return key instanceof KeyObject ? key : KeyObject.from(key);
}

const NULL = Buffer.from([0x05, 0x00]);
const BOOLEAN_TRUE = Buffer.from([0x01, 0x01, 0xff]);

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  const header =
    length < 0x80 ? Buffer.from([tag, length]) : length < 0x100 ? Buffer.from([tag, 0x81, length]) : Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  if (length > 0xffff) throw new Error('DER content too long');
  return Buffer.concat([header, content]);
}

function sequence(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function set(...items: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(items));
}

/** A non-negative INTEGER: a leading zero byte keeps a set top bit from reading as a sign. */
function integer(value: Buffer): Buffer {
  return tlv(0x02, value[0] & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
}

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let value = arc >>> 7; value > 0; value >>>= 7) base128.unshift((value & 0x7f) | 0x80);
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  const year = date.getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : tlv(0x18, Buffer.from(iso, 'ascii'));
}

/** 16 random bytes, positive and without a leading zero (RFC 5280 §4.1.2.2: at most 20 octets). */
function serialNumber(): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x40;
  return serial;
}
