import { BadRequestError } from '../../core/adapter.js';

/**
 * Wire formats: the intelligent bot's long-connection frames (vectors/wecom-aibot-frames.json) and the
 * self-built app's flat callback XML.
 */
export interface BotFrame {
  cmd: string;
  headers: { req_id: string };
  body?: Record<string, unknown>;
  errcode?: number;
  errmsg?: string;
}

export function decodeBotFrame(raw: Buffer): BotFrame | undefined {
  try {
    const f = JSON.parse(raw.toString('utf8')) as BotFrame;
    if (!f || typeof f !== 'object' || !f.headers || typeof f.headers.req_id !== 'string') return undefined;
    return f;
  } catch {
    return undefined;
  }
}

/** req_ids of our own frames, in the SDK's shape: `<cmd>_<ms>_<rand>`. */
export function reqId(cmd: string, now = Date.now()): string {
  return `${cmd}_${now}_${Math.random().toString(36).slice(2, 10)}`;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * WeCom's callback XML is one flat `<xml>` element of text or CDATA children. Read exactly that and
 * nothing more: a DOCTYPE or an entity declaration (XXE, billion laughs) is refused before anything is
 * read, nested elements are ignored, only the five predefined entities are decoded.
 */
export function readFlatXml(text: string): Record<string, string> {
  if (text.length > 1_000_000) throw new BadRequestError('XML body too large');
  if (/<!DOCTYPE|<!ENTITY|<\?xml-stylesheet/i.test(text)) throw new BadRequestError('XML with a DOCTYPE or entity declarations is refused');
  const inner = /^\s*(?:<\?xml[^>]*\?>\s*)?<xml>([\s\S]*)<\/xml>\s*$/.exec(text)?.[1];
  if (inner === undefined) throw new BadRequestError('not a WeCom XML body');
  const out: Record<string, string> = {};
  const re = /<([A-Za-z][A-Za-z0-9_]{0,63})>(?:<!\[CDATA\[([\s\S]*?)\]\]>|([^<]*))<\/\1>/g;
  for (let m = re.exec(inner); m; m = re.exec(inner)) {
    const name = m[1] as string;
    if (Object.hasOwn(out, name)) continue;
    out[name] = m[2] !== undefined ? m[2] : (m[3] ?? '').replace(/&(lt|gt|amp|quot|apos);/g, (_x, e: string) => ENTITIES[e] as string);
  }
  return out;
}
