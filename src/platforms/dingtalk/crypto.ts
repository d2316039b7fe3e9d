import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * DingTalk's three schemes (platforms.md §2.3), each reproduced by vectors/dingtalk-*.json.
 */

/**
 * Robot HTTP callback `sign` header, and the custom robot webhook's `sign` before URL-encoding:
 * base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)), timestamp in ms.
 */
export function dingtalkSign(secret: string, timestampMs: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/** The custom robot webhook URL with `&timestamp=<ms>&sign=<urlencoded>` (vectors/dingtalk-webhook-sign.json). */
export function signedWebhookUrl(url: string, secret: string, timestampMs: string): string {
  return `${url}&timestamp=${timestampMs}&sign=${encodeURIComponent(dingtalkSign(secret, timestampMs))}`;
}

/** DingCallbackCrypto's msg_signature = hex(SHA-1(concat(sort([token, timestamp, nonce, encrypt])))). */
export function callbackSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join(''), 'utf8').digest('hex');
}

/** The 32-byte AES key from the console's 43-character aes_key (base64 without its trailing "="). */
function aesKey(key43: string): Buffer {
  const key = Buffer.from(`${key43}=`, 'base64');
  if (key43.length !== 43 || key.length !== 32) throw new Error('aes_key must be 43 base64 characters');
  return key;
}

/**
 * DingCallbackCrypto decrypt (the official DingCallbackCrypto.java, byte-exact): AES-256-CBC with
 * IV = key[0:16], PKCS#7 to 32 bytes; plaintext = random16 ‖ uint32be(utf8 length) ‖ msg ‖ ownerKey.
 * The length is in UTF-8 bytes — an npm port that counts characters garbles Chinese (platforms.md §5.8).
 * Throws on bad padding, a bad length or a foreign owner key.
 */
export function decryptCallback(key43: string, ownerKey: string, encrypted: string): string {
  const key = aesKey(key43);
  const data = Buffer.from(encrypted, 'base64');
  if (data.length < 32 || data.length % 16 !== 0) throw new Error('ciphertext has a bad length');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(data), decipher.final()]);
  const pad = plain[plain.length - 1] as number;
  if (pad < 1 || pad > 32 || pad > plain.length) throw new Error('bad padding');
  for (let i = plain.length - pad; i < plain.length; i++) if (plain[i] !== pad) throw new Error('bad padding');
  const body = plain.subarray(0, plain.length - pad);
  if (body.length < 20) throw new Error('plaintext too short');
  const len = body.readUInt32BE(16);
  if (20 + len > body.length) throw new Error('bad message length');
  const msg = body.subarray(20, 20 + len);
  const owner = body.subarray(20 + len).toString('utf8');
  if (owner !== ownerKey) throw new OwnerKeyMismatch();
  return msg.toString('utf8');
}

export class OwnerKeyMismatch extends Error {
  constructor() {
    super('the message was encrypted for another app (owner key mismatch)');
  }
}

/** The reverse (the encrypted `success` every callback is answered with; tests). */
export function encryptCallback(key43: string, ownerKey: string, msg: string, random: Buffer = randomBytes(16)): string {
  const key = aesKey(key43);
  const m = Buffer.from(msg, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(m.length);
  const body = Buffer.concat([random.subarray(0, 16), len, m, Buffer.from(ownerKey, 'utf8')]);
  const pad = 32 - (body.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}

/** The JSON every event callback is answered with: the encrypted `success`, signed (Java getEncryptedMap). */
export function successReply(token: string, key43: string, ownerKey: string, o: { timeStamp?: string; nonce?: string; random?: Buffer } = {}): Record<string, string> {
  const timeStamp = o.timeStamp ?? String(Date.now());
  const nonce = o.nonce ?? randomBytes(12).toString('base64url').slice(0, 16);
  const encrypt = encryptCallback(key43, ownerKey, 'success', o.random);
  return { msg_signature: callbackSignature(token, timeStamp, nonce, encrypt), timeStamp, nonce, encrypt };
}
