import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * The encrypted-callback envelope WeCom's WXBizMsgCrypt introduced and DingTalk's DingCallbackCrypto
 * copies byte for byte (platforms.md §2.3, §3.4): AES-256-CBC with key = b64(EncodingAESKey + "="),
 * IV = key[0:16], PKCS#7 to a multiple of 32; plaintext = random16 ‖ uint32be(UTF-8 length) ‖ msg ‖
 * receiveId; signature = hex(SHA-1(concat(sort([token, timestamp, nonce, encrypt])))). Every pad byte and
 * the trailing receiveId are checked (the official npm ports check neither).
 */

export function envelopeSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join(''), 'utf8').digest('hex');
}

/** The 32-byte AES key from the console's 43-character key (base64 without its trailing "="). */
function aesKey(key43: string): Buffer {
  const key = Buffer.from(`${key43}=`, 'base64');
  if (key43.length !== 43 || key.length !== 32) throw new Error('the AES key must be 43 base64 characters');
  return key;
}

/** The message was encrypted for another receiver (corp, app or bot). */
export class ReceiverMismatch extends Error {
  constructor(readonly found: string) {
    super('the message was encrypted for another receiver (receive id mismatch)');
  }
}

/** Decrypts and checks padding, length and receiver; throws on anything off. */
export function decryptEnvelope(key43: string, receiveId: string, encrypted: string): string {
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
  const found = body.subarray(20 + len).toString('utf8');
  if (found !== receiveId) throw new ReceiverMismatch(found);
  return body.subarray(20, 20 + len).toString('utf8');
}

export function encryptEnvelope(key43: string, receiveId: string, msg: string, random: Buffer = randomBytes(16)): string {
  const key = aesKey(key43);
  const m = Buffer.from(msg, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(m.length);
  const body = Buffer.concat([random.subarray(0, 16), len, m, Buffer.from(receiveId, 'utf8')]);
  const pad = 32 - (body.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}
