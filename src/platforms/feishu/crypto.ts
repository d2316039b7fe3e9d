import { createCipheriv, createDecipheriv, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Feishu's Encrypt Key scheme (platforms.md §1.3, vectors/feishu-encrypt.json):
 * body = {"encrypt": b64(iv16 ‖ AES-256-CBC(key = SHA-256(EncryptKey), iv, PKCS#7(json)))}.
 * CBC has no MAC: authenticity comes only from X-Lark-Signature over the raw bytes.
 */
export function decryptFeishu(encryptKey: string, encrypted: string): string {
  const buf = Buffer.from(encrypted, 'base64');
  if (buf.length < 32 || buf.length % 16 !== 0) throw new Error('ciphertext has a bad length');
  const decipher = createDecipheriv('aes-256-cbc', aesKey(encryptKey), buf.subarray(0, 16));
  return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString('utf8');
}

let lastKey: { encryptKey: string; key: Buffer } | undefined;

/** SHA-256 of the Encrypt Key, kept for the key in use (one app: one key). */
function aesKey(encryptKey: string): Buffer {
  if (lastKey?.encryptKey !== encryptKey) lastKey = { encryptKey, key: hash('sha256', encryptKey, 'buffer') };
  return lastKey.key;
}

/** The reverse, for tests and the benchmark (Feishu never needs us to encrypt). */
export function encryptFeishu(encryptKey: string, plaintext: string, iv: Buffer = randomBytes(16)): string {
  const key = aesKey(encryptKey);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** X-Lark-Signature = hex(SHA-256(utf8(timestamp + nonce + EncryptKey) ‖ rawBody)). */
export function feishuSignature(timestamp: string, nonce: string, encryptKey: string, rawBody: Buffer): string {
  // One-shot hash() over one buffer: no Hash object per request for the GC to finalise.
  return hash('sha256', Buffer.concat([Buffer.from(timestamp + nonce + encryptKey, 'utf8'), rawBody]), 'hex');
}

/** Constant-time comparison of two hex signatures (length checked first, without early exit on content). */
export function signaturesEqual(expectedHex: string, givenHex: string): boolean {
  const a = Buffer.from(expectedHex, 'utf8');
  const b = Buffer.from(givenHex.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
