import { randomBytes } from 'node:crypto';
import { decryptEnvelope, encryptEnvelope, envelopeSignature } from '../../core/msg-crypt.js';

/**
 * WXBizMsgCrypt (platforms.md §3.4, vectors/wecom-msgcrypt.json) on node:crypto: the shared envelope in
 * core/msg-crypt.ts with receiveid = CorpID for a self-built app and "" for the intelligent bot. Every
 * pad byte and the trailing receiveid are checked (the official @wecom/crypto checks neither).
 */
export const msgSignature = envelopeSignature;

export function decrypt(aesKey: string, receiveId: string, encrypted: string): string {
  return decryptEnvelope(aesKey, receiveId, encrypted);
}

export function encrypt(aesKey: string, receiveId: string, msg: string, random?: Buffer): string {
  return encryptEnvelope(aesKey, receiveId, msg, random);
}

/** The intelligent bot's encrypted passive reply: JSON, `timestamp` a number (seconds), `nonce` the callback's. */
export function botReply(token: string, aesKey: string, plaintext: string, o: { timestamp: string; nonce: string; random?: Buffer }): { encrypt: string; msgsignature: string; timestamp: number; nonce: string } {
  const enc = encrypt(aesKey, '', plaintext, o.random ?? randomBytes(16));
  return { encrypt: enc, msgsignature: msgSignature(token, o.timestamp, o.nonce, enc), timestamp: Number(o.timestamp), nonce: o.nonce };
}

/** A self-built app's encrypted passive reply, in the layout of the official XMLParse.generate. */
export function appReply(token: string, aesKey: string, corpId: string, plaintext: string, o: { timestamp: string; nonce: string; random?: Buffer }): string {
  const enc = encrypt(aesKey, corpId, plaintext, o.random ?? randomBytes(16));
  const sig = msgSignature(token, o.timestamp, o.nonce, enc);
  return `<xml>\n<Encrypt><![CDATA[${enc}]]></Encrypt>\n<MsgSignature><![CDATA[${sig}]]></MsgSignature>\n<TimeStamp>${o.timestamp}</TimeStamp>\n<Nonce><![CDATA[${o.nonce}]]></Nonce>\n</xml>`;
}
