import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Card } from '../../cards/model.js';
import { ACTION_ID, ButtonActions, actionId } from '../../src/core/actions.js';
import { MemoryStore } from '../../src/core/store/memory.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

describe('server-side button actions', () => {
  it('a button leaves as a short id; its signed payload is found until the TTL, then refused', async () => {
    let now = 1_000_000;
    const actions = new ButtonActions(new MemoryStore(), () => now, 60_000);
    const signed = 'v1.eyJrIjoicnVuIn0.c2lnbmF0dXJlLWJ5dGVz';
    const card: Card = { title: 't', tone: 'info', blocks: [], buttons: [{ label: 'Go', style: 'primary', value: signed }] };
    const short = await actions.shorten(card);
    const id = short.buttons![0]!.value;
    expect(id).toMatch(ACTION_ID);
    expect(id).toBe(actionId(signed)); // the same card rendered twice keeps its ids
    expect(id.length).toBeLessThanOrEqual(64);
    expect(card.buttons![0]!.value).toBe(signed); // the core's card is not changed
    expect(await actions.resolve(id)).toBe(signed);
    now += 60_001;
    await expect(actions.resolve(id)).rejects.toThrow('button is unknown or has expired; run the command again');
    await expect(actions.resolve('bNoSuchActionId')).rejects.toThrow(/unknown or has expired/);
    await expect(actions.resolve('')).rejects.toThrow(/malformed/);
  });
});

describe('clicks by kind', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  const sign = (p: Record<string, unknown>) => app.core.signer.sign({ ch: 'console:console', t: Date.now(), ...p } as never);
  const act = (user: string, payload: string) => app.router.act({ platform: 'console', userId: user, chatId: 'console', payload });

  it('an unknown action id is refused and audited, nothing runs', async () => {
    const r = await act('bob', 'bUnknownActionId000000');
    expect(r.refused).toBe('button is unknown or has expired; run the command again');
    const last = (await app.audit()).find((e) => e.kind === 'refuse');
    expect(last).toMatchObject({ actor: 'bob', outcome: 'refused', reason: 'button is unknown or has expired; run the command again' });
  });

  it('a request button creates an approval card for the person who clicks, checked like a typed command', async () => {
    const value = sign({ k: 'request', c: 'scale', a: { deployment: 'user-service', replicas: 3, namespace: 'production' } });
    const r = await act('alice', value);
    expect(r.refused).toBeUndefined();
    const card = r.cards[0]!;
    expect(card.title).toMatch(/^Approval needed · [A-Z0-9]{4}$/);
    expect(card.binding).toMatchObject({ subject: 'approval' });
    const a = await app.approvals.get(card.binding!.id);
    expect(a).toMatchObject({ state: 'pending', command: 'scale', requester: { personId: 'alice' }, preview: { target: 'production/user-service' } });
    // Carol is a viewer: she may not request changes, from a button or otherwise.
    const carol = await act('carol', value);
    expect(carol.refused).toMatch(/Carol Zhang \(viewer\) may not request \/scale/);
    expect((await app.send('alice', `/cancel ${a!.id}`))[0]!.title).toMatch(/^Cancelled/);
  });

  it('a run button never runs a change, and a request button never a read-only command', async () => {
    expect((await act('alice', sign({ k: 'run', c: 'scale', a: { deployment: 'user-service', replicas: 9 } }))).refused).toBe('button names no read-only command');
    expect((await act('alice', sign({ k: 'request', c: 'pods', a: {} }))).refused).toBe('button names no change that can be requested');
    expect((await act('alice', sign({ k: 'request', c: 'approve', a: { id: 'K7QF' } }))).refused).toBe('button names no change that can be requested');
    expect((await act('alice', sign({ k: 'x-nothing' }))).refused).toBe('button names no known action');
  });

  it('a new kind of click is one handler registered by kind', async () => {
    const seen: string[] = [];
    app.router.onAction('x-test-ack', async (p, at) => {
      seen.push(`${at.person.id}:${String((p as { n?: unknown }).n)}`);
      return { command: 'ack', cards: [{ title: `acked by ${at.person.name}`, tone: 'success', blocks: [] }] };
    });
    const r = await act('bob', sign({ k: 'x-test-ack', n: 7 }));
    expect(r.cards[0]!.title).toBe('acked by Bob Li');
    expect(seen).toEqual(['bob:7']);
    expect(() => app.router.onAction('x-test-ack', async () => ({ command: 'x', cards: [] }))).toThrow(/exists already/);
  });

  it('a card bound to any subject is updated in place wherever it is shown', async () => {
    let state = { rev: 1, text: 'first' };
    app.core.live.subject('report', async (id) => ({ title: `report ${id}: ${state.text}`, tone: 'info', blocks: [], binding: { subject: 'report', id, rev: state.rev } }));
    const console = app.adapters.get('console')!;
    const card: Card = { title: 'report r1: first', tone: 'info', blocks: [], binding: { subject: 'report', id: 'r1', rev: 1 } };
    const [ref] = await app.dispatcher.deliver(console, { chatId: 'console' }, [card], 'report-test');
    expect(await app.core.live.copies('report', 'r1')).toEqual([{ platform: 'console', ref, chatId: 'console' }]);
    state = { rev: 2, text: 'second' };
    await app.core.live.refresh('report', 'r1');
    await app.dispatcher.idle();
    expect((await app.card(ref!)).title).toBe('report r1: second');
  });
});

