import { timingSafeEqual } from 'node:crypto';
import { BadRequestError } from '../../core/adapter.js';
import { VerificationError } from '../../core/errors.js';
import { ReceiverMismatch } from '../../core/msg-crypt.js';
import { decrypt, msgSignature } from './crypto.js';
import { readFlatXml } from './frames.js';

export interface WecomSecrets {
  token: string;
  aesKey: string;
  /** CorpID for a self-built app; "" for the intelligent bot. */
  receiveId: string;
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function params(query: URLSearchParams): { sig: string; timestamp: string; nonce: string } {
  const sig = query.get('msg_signature');
  const timestamp = query.get('timestamp');
  const nonce = query.get('nonce');
  if (!sig || !timestamp || !nonce) throw new VerificationError('missing msg_signature, timestamp or nonce');
  if (!/^\d{1,12}$/.test(timestamp) || nonce.length > 64) throw new VerificationError('bad timestamp or nonce');
  return { sig, timestamp, nonce };
}

function open(s: WecomSecrets, sig: string, timestamp: string, nonce: string, enc: string): string {
  // The query is URL-decoded exactly once (by the route); a "+" that became a space fails here, as it must.
  if (!equal(msgSignature(s.token, timestamp, nonce, enc), sig.toLowerCase())) throw new VerificationError('bad msg_signature (check WECOM_TOKEN)');
  try {
    return decrypt(s.aesKey, s.receiveId, enc);
  } catch (err) {
    if (err instanceof ReceiverMismatch) throw new VerificationError(s.receiveId ? 'the message was encrypted for another corp (check WECOM_CORP_ID)' : 'the message was encrypted for an app, not the intelligent bot (check WECOM_MODE)');
    throw new BadRequestError('cannot decrypt (check WECOM_ENCODING_AES_KEY)');
  }
}

/** GET URL verification: the decrypted echostr, to be answered as bare text. */
export function verifyUrl(query: URLSearchParams, s: WecomSecrets): string {
  const { sig, timestamp, nonce } = params(query);
  const echostr = query.get('echostr');
  if (!echostr || echostr.length > 4096) throw new VerificationError('missing echostr');
  return open(s, sig, timestamp, nonce, echostr);
}

/** POST callback: the decrypted body (JSON text for the bot, XML text for the app) and the query's timestamp and nonce. */
export function verifyCallback(query: URLSearchParams, body: Buffer, s: WecomSecrets, format: 'json' | 'xml'): { plaintext: string; timestamp: string; nonce: string } {
  const { sig, timestamp, nonce } = params(query);
  let enc: string | undefined;
  const text = body.toString('utf8');
  if (format === 'json') {
    try {
      enc = (JSON.parse(text) as { encrypt?: unknown }).encrypt as string | undefined;
    } catch {
      throw new BadRequestError('body is not JSON');
    }
  } else enc = readFlatXml(text)['Encrypt'];
  if (typeof enc !== 'string' || !enc || enc.length > 2_000_000) throw new BadRequestError('body has no encrypted message');
  return { plaintext: open(s, sig, timestamp, nonce, enc), timestamp, nonce };
}
