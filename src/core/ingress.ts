import type { CardActionEvent, EventSink, HttpReply, InboundEvent, PlatformAdapter, Receipt } from './adapter.js';

/**
 * The one function that turns what a transport received into dispatch and an acknowledgement, for
 * HTTP callbacks and long connections alike: messages are handed to the sink (which answers at once
 * and works afterwards); a click is answered with the adapter's rendering of the sink's answer. The
 * returned `afterAck` runs once the answer is on the wire.
 */
export async function settle(sink: EventSink, adapter: PlatformAdapter, receipt: Receipt): Promise<{ reply: HttpReply; afterAck?: () => void }> {
  let reply = receipt.reply;
  const after: (() => void)[] = receipt.afterAck ? [receipt.afterAck] : [];
  for (const ev of receipt.events as InboundEvent[]) {
    if (ev.kind === 'message') {
      await sink.message(ev);
      if (adapter.answerMessage) reply = await adapter.answerMessage(ev, reply);
      continue;
    }
    adapter.clickStarted?.(ev);
    after.push(() => adapter.clickAnswered?.(ev));
    const answer = await sink.action(ev);
    if (adapter.answerAction) reply = adapter.answerAction(answer, ev as CardActionEvent);
  }
  return { reply, ...(after.length ? { afterAck: () => after.forEach((f) => f()) } : {}) };
}
