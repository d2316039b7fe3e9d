/**
 * DingTalk Stream frames (platforms.md §2.1, vectors/dingtalk-stream-frames.json): JSON text frames
 * `{specVersion, type, headers, data}` in, acks `{code, headers, message, data}` out — byte for byte
 * what the official `dingtalk-stream` client sends.
 */
export const TOPIC_ROBOT = '/v1.0/im/bot/messages/get';
export const TOPIC_CARD = '/v1.0/card/instances/callback';

export interface StreamFrame {
  specVersion?: string;
  type: 'SYSTEM' | 'EVENT' | 'CALLBACK';
  headers: Record<string, string>;
  data: string;
}

/** Decodes one frame; undefined for anything that is not a frame object with headers. */
export function decodeFrame(raw: Buffer): StreamFrame | undefined {
  try {
    const f = JSON.parse(raw.toString('utf8')) as StreamFrame;
    if (!f || typeof f !== 'object' || typeof f.headers !== 'object' || !f.headers) return undefined;
    return f;
  } catch {
    return undefined;
  }
}

/** The ack of an EVENT or CALLBACK frame: its messageId, and `data` as a JSON string. */
export function ackFrame(messageId: string, data: unknown): string {
  return JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId }, message: 'OK', data: JSON.stringify(data) });
}

/** SYSTEM ping is echoed with the same headers and data. */
export function pongFrame(f: StreamFrame): string {
  return JSON.stringify({ code: 200, headers: f.headers, message: 'OK', data: f.data });
}
