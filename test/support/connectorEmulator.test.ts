import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startConnectorEmulator, type ConnectorEmulator } from './connectorEmulator.js';

let connector: ConnectorEmulator;

beforeEach(async () => {
  connector = await startConnectorEmulator();
});

afterEach(async () => {
  await connector.close();
});

const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(new URL(path, connector.url), {
    method,
    headers: { 'content-type': 'application/json', authorization: 'Bearer anything' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
};

const path = (conversationId: string, activityId?: string) =>
  `v3/conversations/${encodeURIComponent(conversationId)}/activities` +
  (activityId === undefined ? '' : `/${encodeURIComponent(activityId)}`);

describe('connector emulator', () => {
  it('listens on loopback with an ephemeral port', () => {
    expect(connector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('a channel post starts a thread whose id carries the root message id', async () => {
    const created = await call('POST', 'v3/conversations', {
      isGroup: true,
      channelData: { channel: { id: '19:helpdesk@thread.tacv2' }, tenant: { id: 't1' } },
      activity: { type: 'message', text: 'new request' },
      members: [],
    });

    expect(created.status).toBe(200);
    const activityId = created.body?.activityId as string;
    expect(created.body?.id).toBe(`19:helpdesk@thread.tacv2;messageid=${activityId}`);
    expect(created.body?.serviceUrl).toBe(connector.url);
    expect(connector.log).toMatchObject([
      { op: 'create', activityId, activity: { text: 'new request' } },
    ]);
    expect(connector.log[0]?.parameters).toMatchObject({
      channelData: { channel: { id: '19:helpdesk@thread.tacv2' } },
    });
    expect(connector.conversation(created.body?.id as string)).toMatchObject([
      { id: activityId, text: 'new request' },
    ]);
  });

  it('decodes conversation ids with colons, at signs and semicolons', async () => {
    const conversationId = '19:helpdesk@thread.tacv2;messageid=17';
    const sent = await call('POST', path(conversationId), { type: 'message', text: 'in thread' });

    expect(sent.status).toBe(200);
    expect(connector.log[0]).toMatchObject({
      op: 'send',
      conversationId,
      activityId: sent.body?.id,
    });
  });

  it('an update replaces the activity and a delete removes it, while the log keeps every version', async () => {
    const conversationId = 'a:personal-1';
    const first = await call('POST', path(conversationId), { type: 'message', text: 'v1 secret' });
    const second = await call('POST', path(conversationId, first.body?.id as string), {
      type: 'message',
      text: 'a reply',
    });
    const updated = await call('PUT', path(conversationId, first.body?.id as string), {
      type: 'message',
      text: 'v2',
    });

    expect(updated.body).toEqual({ id: first.body?.id });
    expect(connector.conversation(conversationId).map((a) => a.text)).toEqual(['v2', 'a reply']);

    const deleted = await call('DELETE', path(conversationId, second.body?.id as string));
    expect(deleted.status).toBe(200);
    expect(connector.conversation(conversationId).map((a) => a.text)).toEqual(['v2']);
    expect(connector.log.map((e) => e.op)).toEqual(['send', 'reply', 'update', 'delete']);
    expect(connector.textOf(conversationId)).toContain('v1 secret');
    expect(connector.allText()).toContain('v1 secret');
    expect(connector.textOf('a:someone-else')).toBe('');
  });

  it('a 429 fault answers with Retry-After and is used up after the given number of calls', async () => {
    connector.inject({ op: 'send', status: 429, retryAfterSeconds: 2, times: 2 });

    const update = await call('PUT', path('a:1', '5'), { type: 'message', text: 'not a send' });
    const first = await call('POST', path('a:1'), { type: 'message', text: 'one' });
    const second = await call('POST', path('a:1'), { type: 'message', text: 'one' });
    const third = await call('POST', path('a:1'), { type: 'message', text: 'one' });

    expect(update.status).toBe(200);
    expect([first.status, second.status, third.status]).toEqual([429, 429, 200]);
    expect(first.retryAfter).toBe('2');
    expect(connector.log.map((e) => e.op)).toEqual(['update', 'send']);
    expect(connector.attempts.map((a) => a.status)).toEqual([200, 429, 429, 200]);
    expect(connector.attempts[0]?.authorization).toBe('Bearer anything');
  });

  it('a 5xx fault without an op fails whatever comes next, once', async () => {
    connector.inject({ status: 503 });

    const failed = await call('POST', 'v3/conversations', { members: [{ id: '29:u' }] });
    const created = await call('POST', 'v3/conversations', { members: [{ id: '29:u' }] });

    expect(failed.status).toBe(503);
    expect(failed.retryAfter).toBeNull();
    expect(created.status).toBe(200);
    expect(created.body?.id).toBe('a:1on1-29:u');
  });

  it('answers unknown routes with 404 and bad bodies with 400, recording nothing', async () => {
    expect((await call('GET', 'v3/conversations/a%3A1/members')).status).toBe(404);
    const bad = await fetch(new URL(path('a:1'), connector.url), { method: 'POST', body: '{' });
    expect(bad.status).toBe(400);
    expect(connector.log).toEqual([]);
  });

  it('waitFor resolves with a call that arrives later', async () => {
    const waiting = connector.waitFor((e) => e.activity?.text === 'late', { timeoutMs: 1000 });
    setTimeout(() => void call('POST', path('a:1'), { type: 'message', text: 'late' }), 20);

    await expect(waiting).resolves.toMatchObject({ op: 'send', conversationId: 'a:1' });
  });

  it('waitFor gives up after its timeout and says what it saw', async () => {
    await call('POST', path('a:1'), { type: 'message', text: 'something else' });

    await expect(
      connector.waitFor((e) => e.op === 'update', { timeoutMs: 50, description: 'card update' }),
    ).rejects.toThrow(/no card update within 50 ms; saw send a:1\/\d+ "something else"/);
  });
});
