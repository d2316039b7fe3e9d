import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/**
 * A fake DingTalk Stream gateway, run as its own process so it does not share the client's event loop:
 * `tsx bench/dingtalk-gateway.ts <frames> <in flight>`. Prints `{"port":…}`, answers connections/open,
 * and when a client connects pushes robot-message CALLBACK frames (unique msgIds, as DingTalk sends
 * them), keeping <in flight> unacked, until every frame is acked; then prints {ms, acked} and exits.
 */
const n = Number(process.argv[2] ?? 5000);
const inFlight = Number(process.argv[3] ?? 32);
const frames = Array.from({ length: n }, (_, i) =>
  JSON.stringify({
    specVersion: '1.0',
    type: 'CALLBACK',
    headers: { appId: 'app', connectionId: 'c', contentType: 'application/json', messageId: `m-${i}`, time: String(Date.now()), topic: '/v1.0/im/bot/messages/get' },
    data: JSON.stringify({
      conversationId: 'cidBench==',
      msgId: `msg-${i}-${process.pid}==`,
      senderStaffId: 'sre_bench',
      conversationType: '2',
      isInAtList: true,
      msgtype: 'text',
      text: { content: ` /help ${i}` },
      robotCode: 'dingbench',
      createAt: Date.now(),
    }),
  }),
);
const http = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ endpoint: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/connect`, ticket: 't' }));
  });
});
const wss = new WebSocketServer({ server: http, path: '/connect' });
wss.on('connection', (ws) => {
  let sent = 0;
  let acked = 0;
  const started = performance.now();
  const pump = () => {
    while (sent < n && sent - acked < inFlight) ws.send(frames[sent++] as string);
  };
  ws.on('message', (d: Buffer) => {
    const f = JSON.parse(d.toString()) as { headers?: { messageId?: string } };
    if (!f.headers?.messageId?.startsWith('m-')) return;
    acked++;
    if (acked === n) {
      process.stdout.write(JSON.stringify({ ms: performance.now() - started, acked }) + '\n');
      process.exit(0);
    }
    pump();
  });
  pump();
});
http.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (http.address() as AddressInfo).port }) + '\n'));
