import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../src/demo/tenantSeed.js';
import { conversationUpdate, invoke, message } from './support/activities.js';
import { startHarness, type Harness } from './support/harness.js';

const ava = { aadObjectId: DEMO.users.ava, name: 'Ava Employee' };
const hugo = { aadObjectId: DEMO.users.hugo, name: 'Hugo Helpdesk' };
const olly = { aadObjectId: DEMO.users.olly, name: 'Olly Orphan' };

describe('the TapDesk server over HTTP (local mode)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const opts = () => ({ serviceUrl: h.connector.url });
  const cardsIn = (conversationId: string) =>
    h.connector
      .conversation(conversationId)
      .flatMap((activity) => (activity.attachments as { content: unknown }[] | undefined) ?? [])
      .map((attachment) => JSON.stringify(attachment.content));

  it('greets a person with the welcome card when they install the bot', async () => {
    const activity = conversationUpdate(['bot'], ava, opts());
    const response = await h.post(activity);
    expect(response.status).toBe(200);
    const conversationId = activity.conversation!.id;
    await h.connector.waitFor((e) => e.conversationId === conversationId);
    expect(cardsIn(conversationId).join()).toContain("Hi Ava, I'm TapDesk");
  });

  it('answers help with the commands of a 1:1 chat', async () => {
    const activity = message('help', ava, opts());
    expect((await h.post(activity)).status).toBe(200);
    const conversationId = activity.conversation!.id;
    await h.connector.waitFor(
      (e) =>
        e.conversationId === conversationId && JSON.stringify(e.activity).includes('What I can do'),
    );
    expect(cardsIn(conversationId).join()).toContain('help');
  });

  it('answers help in the helpdesk channel when mentioned', async () => {
    const activity = message('help', hugo, { ...opts(), channel: true });
    expect((await h.post(activity)).status).toBe(200);
    await h.connector.waitFor(
      (e) =>
        e.conversationId === activity.conversation!.id &&
        JSON.stringify(e.activity).includes('Request cards arrive in this channel'),
    );
  });

  it('remembers the 1:1 conversation of everyone who writes to it', async () => {
    await h.post(message('hello', hugo, opts()));
    const ref = await h.bot.services.store.getConversationRef({ user: hugo.aadObjectId });
    expect(ref?.conversation?.id).toBe(`a:personal-${hugo.aadObjectId}`);
    expect(ref?.serviceUrl).toBe(h.connector.url);
  });

  it('answers an unknown card verb with a 400 invoke response, not a 500', async () => {
    const response = await h.post(invoke('no.such.verb', {}, ava, opts()));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      statusCode: 400,
      type: 'application/vnd.microsoft.error',
      value: { code: 'BadRequest', message: expect.stringContaining('no.such.verb') },
    });
  });

  it('answers a card action without an action object with a 400', async () => {
    const activity = { ...invoke('help', {}, ava, opts()), value: { nonsense: true } };
    const response = await h.post(activity);
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain('malformed');
  });

  it('answers the Help button by posting the help card', async () => {
    const activity = invoke('help', {}, ava, opts());
    const response = await h.post(activity);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ type: 'application/vnd.microsoft.activity.message' });
  });

  it('refuses malformed JSON with a 400 and stays healthy', async () => {
    const response = await fetch(`${h.bot.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type": "message", ',
    });
    expect(response.status).toBe(400);
    expect((await fetch(`${h.bot.url}/healthz`)).status).toBe(200);
  });

  it('refuses a body without a type with a 400', async () => {
    const { type: _type, ...untyped } = message('hi', ava, opts());
    const response = await h.post(untyped);
    expect(response.status).toBe(400);
  });

  it('refuses a 5 MB message with 413 and keeps serving', async () => {
    const response = await h.post(message('x'.repeat(5 * 1024 * 1024), ava, opts()));
    expect(response.status).toBe(413);
    const activity = message('help', ava, opts());
    expect((await h.post(activity)).status).toBe(200);
  });

  it('answers a very long but deliverable message politely', async () => {
    const activity = message('y'.repeat(20_000), ava, opts());
    expect((await h.post(activity)).status).toBe(200);
    const reply = await h.connector.waitFor(
      (e) =>
        e.conversationId === activity.conversation!.id &&
        String(e.activity?.text ?? '').includes('too long'),
    );
    expect(reply.activity?.text).toContain('Tell me in a few words');
  });

  it('answers an unknown activity type without failing', async () => {
    const response = await h.post({ ...message('', ava, opts()), type: 'somethingNew' });
    expect(response.status).toBe(200);
  });

  it('refuses and logs an activity from another tenant, running no handler', async () => {
    const before = h.connector.log.length;
    // Olly has not written before, so a saved conversation would show a handler ran.
    const activity = message('help', olly, {
      ...opts(),
      tenantId: 'ffffffff-0000-4000-8000-000000000000',
    });
    expect((await h.post(activity)).status).toBe(200);
    const click = await h.post(
      invoke('help', {}, olly, { ...opts(), tenantId: 'ffffffff-0000-4000-8000-000000000000' }),
    );
    expect(click.status).toBe(403);
    expect(h.connector.log.length).toBe(before);
    expect(h.logs.join('\n')).toContain('refused an activity from another tenant');
    const ref = await h.bot.services.store.getConversationRef({ user: olly.aadObjectId });
    expect(ref).toBeUndefined();
  });

  it('reports ready when the store and Graph answer', async () => {
    const response = await fetch(`${h.bot.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', store: 'ok', graph: 'ok' });
  });

  it('reports not ready with 503 when Graph fails', async () => {
    h.directory.inject({ path: /^\/organization/, status: 500, times: Infinity });
    try {
      const response = await fetch(`${h.bot.url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ store: 'ok', graph: 'unavailable' });
    } finally {
      h.directory.reset();
    }
  });
});

describe('the TapDesk server with a bot identity', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      env: {
        MicrosoftAppId: 'e0000000-0000-4000-8000-000000000001',
        MicrosoftAppPassword: 'not-a-real-secret',
        MicrosoftAppTenantId: DEMO.tenantId,
      },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses an activity without a Bot Framework token with 401 and runs no handler', async () => {
    const activity = message('help', ava, { serviceUrl: h.connector.url });
    const response = await h.post(activity);
    expect(response.status).toBe(401);
    expect(h.connector.attempts).toHaveLength(0);
    expect(
      await h.bot.services.store.getConversationRef({ user: ava.aadObjectId }),
    ).toBeUndefined();
  });

  it('refuses a forged token with 401', async () => {
    const response = await h.post(message('help', ava, { serviceUrl: h.connector.url }), {
      authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.',
    });
    expect(response.status).toBe(401);
    expect(h.connector.attempts).toHaveLength(0);
  });
});
