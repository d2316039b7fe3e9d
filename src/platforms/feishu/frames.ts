import protobuf from 'protobufjs';

/**
 * The long connection's frame (pbbp2.Frame, proto2), as the official SDK encodes it
 * (larksuite/node-sdk ws-client/proto-buf/pbbp2.js): method 0 = control (ping/pong), 1 = data;
 * headers carry type (event|card|ping|pong), message_id, sum/seq (fragments), trace_id.
 */
const root = protobuf.parse(`
syntax = "proto2";
package pbbp2;
message Header { required string key = 1; required string value = 2; }
message Frame {
  required uint64 SeqID = 1;
  required uint64 LogID = 2;
  required int32 service = 3;
  required int32 method = 4;
  repeated Header headers = 5;
  optional string payload_encoding = 6;
  optional string payload_type = 7;
  optional bytes payload = 8;
  optional string LogIDNew = 9;
}`).root;

const FrameType = root.lookupType('pbbp2.Frame');

export const METHOD_CONTROL = 0;
export const METHOD_DATA = 1;

export interface Frame {
  SeqID: number | string;
  LogID: number | string;
  service: number;
  method: number;
  headers: { key: string; value: string }[];
  payload?: Uint8Array;
  payload_encoding?: string;
  payload_type?: string;
  LogIDNew?: string;
}

export function encodeFrame(f: Frame): Uint8Array {
  return FrameType.encode(FrameType.fromObject(f)).finish();
}

export function decodeFrame(buf: Uint8Array): Frame {
  const m = FrameType.decode(buf);
  return FrameType.toObject(m, { longs: String, bytes: Buffer, defaults: true }) as unknown as Frame;
}

export function header(f: Frame, key: string): string | undefined {
  return f.headers.find((h) => h.key === key)?.value;
}
