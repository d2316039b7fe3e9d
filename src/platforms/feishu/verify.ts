import { VerificationError } from '../../core/errors.js';
import { BadRequestError } from '../../core/adapter.js';
import { secretsEqual } from '../../core/secure-compare.js';
import { decryptFeishu, feishuSignature, signaturesEqual } from './crypto.js';

/**
 * Feishu gives no timestamp tolerance and retries for ~7.1 h (15 s, 5 min, 1 h, 6 h), so a window of
 * 7.5 h accepts every genuine retry and refuses older replays; event ids are deduplicated for longer
 * (platforms.md §1.3, vector stale-timestamp-replay).
 */
export const MAX_SKEW_S = 7.5 * 3600;

export interface FeishuSecrets {
  verificationToken: string;
  /** When set, every request except url_verification must carry a valid X-Lark-Signature. */
  encryptKey?: string;
}

export type Verified =
  | { kind: 'challenge'; challenge: string }
  | { kind: 'envelope'; envelope: Record<string, unknown> };

/**
 * Verifies then parses one webhook body (design.md §1.3–1.5): the signature over the raw bytes first,
 * in constant time, with the timestamp window; then decryption; then the verification token. The
 * url_verification handshake arrives unsigned (platforms.md pitfall 1): it is answered only after
 * decryption and the token check, and nothing in it is passed on.
 */
export function verifyFeishu(headers: Readonly<Record<string, string | undefined>>, body: Buffer, s: FeishuSecrets, nowMs: number): Verified {
  const ts = headers['x-lark-request-timestamp'];
  const nonce = headers['x-lark-request-nonce'];
  const sig = headers['x-lark-signature'];
  const signed = Boolean(ts || nonce || sig);
  if (s.encryptKey && signed) {
    if (!ts || !nonce || !sig) throw new VerificationError('incomplete X-Lark signature headers');
    if (!/^\d{1,12}$/.test(ts)) throw new VerificationError('bad X-Lark-Request-Timestamp');
    if (!signaturesEqual(feishuSignature(ts, nonce, s.encryptKey, body), sig)) {
      throw new VerificationError('bad X-Lark-Signature (check FEISHU_ENCRYPT_KEY matches the app\'s Encrypt Key)');
    }
    if (Math.abs(nowMs / 1000 - Number(ts)) > MAX_SKEW_S) throw new VerificationError('stale X-Lark-Request-Timestamp');
  }
  let json: unknown = parse(body.toString('utf8'));
  if (s.encryptKey) {
    const enc = (json as { encrypt?: unknown } | null)?.encrypt;
    if (typeof enc !== 'string') throw new VerificationError('body is not encrypted but FEISHU_ENCRYPT_KEY is set');
    let plain: string;
    try {
      plain = decryptFeishu(s.encryptKey, enc);
    } catch {
      throw new BadRequestError('cannot decrypt the body (check FEISHU_ENCRYPT_KEY)');
    }
    json = parse(plain);
  }
  const o = json as Record<string, unknown>;
  if (o['type'] === 'url_verification') {
    if (typeof o['token'] !== 'string' || !secretsEqual(o['token'], s.verificationToken)) throw new VerificationError('url_verification token mismatch (check FEISHU_VERIFICATION_TOKEN)');
    if (typeof o['challenge'] !== 'string' || o['challenge'].length > 256) throw new BadRequestError('url_verification without a challenge');
    return { kind: 'challenge', challenge: o['challenge'] };
  }
  // Everything but the handshake must be signed when an Encrypt Key is configured: fail closed.
  if (s.encryptKey && !signed) throw new VerificationError('missing X-Lark-Signature headers');
  const header = o['header'] as { token?: unknown } | undefined;
  if (o['schema'] !== '2.0' || !header || typeof header.token !== 'string') throw new BadRequestError('not a schema 2.0 event (legacy callbacks are not supported)');
  if (!secretsEqual(header.token, s.verificationToken)) throw new VerificationError('verification token mismatch (check FEISHU_VERIFICATION_TOKEN)');
  return { kind: 'envelope', envelope: o };
}

function parse(text: string): unknown {
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v;
  } catch {
    throw new BadRequestError('body is not a JSON object');
  }
}
