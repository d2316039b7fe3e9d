import { timingSafeEqual } from 'node:crypto';
import { BadRequestError } from '../../core/adapter.js';
import { VerificationError } from '../../core/errors.js';
import { callbackSignature, decryptCallback, dingtalkSign, OwnerKeyMismatch } from './crypto.js';

/** "相差1小时以上则认为是非法的请求" (platforms.md §2.3): both directions. */
export const MAX_SKEW_MS = 3600_000;

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The robot HTTP callback (vectors/dingtalk-robot-sign.json): headers `timestamp` (ms) and `sign` =
 * base64(HMAC-SHA256(AppSecret, timestamp + "\n" + AppSecret)), compared in constant time on the raw
 * header value, then the 1 h window. Only the timestamp is signed, not the body: the caller accepts
 * each (timestamp, sign) once, so a captured pair cannot carry another body.
 */
export function verifyRobot(headers: Readonly<Record<string, string | undefined>>, appSecret: string, nowMs: number): { timestamp: string; sign: string } {
  const timestamp = headers['timestamp'];
  const sign = headers['sign'];
  if (!timestamp || !sign) throw new VerificationError('missing timestamp or sign header (is this DingTalk robot HTTP mode?)');
  if (!/^\d{10,16}$/.test(timestamp)) throw new VerificationError('bad timestamp header');
  if (!equal(dingtalkSign(appSecret, timestamp), sign)) throw new VerificationError('bad sign (check DINGTALK_CLIENT_SECRET matches the app\'s Client Secret)');
  if (Math.abs(nowMs - Number(timestamp)) > MAX_SKEW_MS) throw new VerificationError('stale timestamp (more than 1 h from this server\'s clock)');
  return { timestamp, sign };
}

export interface CallbackSecrets {
  token: string;
  aesKey: string;
  /** appKey for an internal app's event subscription. */
  ownerKey: string;
}

/**
 * An event-subscription HTTP callback (DingCallbackCrypto, vectors/dingtalk-callback-crypto.json):
 * `msg_signature` (or `signature`) over the sorted token, timestamp (or `timeStamp`), nonce and
 * ciphertext, checked in constant time before decrypting; then the owner key. Returns the event JSON.
 */
export function verifyCallback(query: URLSearchParams, body: Buffer, s: CallbackSecrets): Record<string, unknown> {
  const sig = query.get('msg_signature') ?? query.get('signature');
  const timestamp = query.get('timestamp') ?? query.get('timeStamp');
  const nonce = query.get('nonce');
  if (!sig || !timestamp || !nonce) throw new VerificationError('missing msg_signature, timestamp or nonce');
  const encrypt = (parseObject(body.toString('utf8')) as { encrypt?: unknown }).encrypt;
  if (typeof encrypt !== 'string' || encrypt.length > 1_000_000) throw new BadRequestError('body has no "encrypt"');
  if (!equal(callbackSignature(s.token, timestamp, nonce, encrypt), sig.toLowerCase())) throw new VerificationError('bad msg_signature (check DINGTALK_EVENT_TOKEN)');
  let plain: string;
  try {
    plain = decryptCallback(s.aesKey, s.ownerKey, encrypt);
  } catch (err) {
    if (err instanceof OwnerKeyMismatch) throw new VerificationError('the event was encrypted for another app (owner key mismatch: check DINGTALK_CLIENT_ID)');
    throw new BadRequestError('cannot decrypt the event (check DINGTALK_EVENT_AES_KEY)');
  }
  return parseObject(plain);
}

export function parseObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new BadRequestError('body is not a JSON object');
  }
}
