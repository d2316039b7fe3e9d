import { createHmac, randomBytes } from 'node:crypto';
import { decryptEnvelope, encryptEnvelope, envelopeSignature, ReceiverMismatch } from '../../core/msg-crypt.js';

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
export const callbackSignature = envelopeSignature;

/**
 * DingCallbackCrypto (the official DingCallbackCrypto.java, byte-exact) is WeCom's envelope with the
 * owner key (appKey / corpId / suiteKey) as the receiver; the UTF-8 byte length matters — an npm port that
 * counts characters garbles Chinese (platforms.md §5.8). Throws on bad padding, a bad length or a foreign owner key.
 */
export function decryptCallback(key43: string, ownerKey: string, encrypted: string): string {
  return decryptEnvelope(key43, ownerKey, encrypted);
}

export { ReceiverMismatch as OwnerKeyMismatch };

/** The reverse (the encrypted `success` every callback is answered with; tests). */
export function encryptCallback(key43: string, ownerKey: string, msg: string, random?: Buffer): string {
  return encryptEnvelope(key43, ownerKey, msg, random);
}

/** The JSON every event callback is answered with: the encrypted `success`, signed (Java getEncryptedMap). */
export function successReply(token: string, key43: string, ownerKey: string, o: { timeStamp?: string; nonce?: string; random?: Buffer } = {}): Record<string, string> {
  const timeStamp = o.timeStamp ?? String(Date.now());
  const nonce = o.nonce ?? randomBytes(12).toString('base64url').slice(0, 16);
  const encrypt = encryptCallback(key43, ownerKey, 'success', o.random);
  return { msg_signature: callbackSignature(token, timeStamp, nonce, encrypt), timeStamp, nonce, encrypt };
}
