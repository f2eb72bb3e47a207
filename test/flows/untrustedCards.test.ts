/**
 * SPEC §4.7: card data is untrusted. A card carries a request id and a verb; unknown, malformed,
 * stale, out-of-state or expired clicks get a clear refusal and an audit event, and change
 * nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/demo/tenantSeed.js';
import { UNKNOWN_REQUEST } from '../../src/flows/applyEvent.js';
import { invoke } from '../support/activities.js';
import { PEOPLE, startScenario, testClock, textOf, type Scenario } from '../support/scenario.js';

const { ava, maya, hugo, hana } = PEOPLE;
const TAP_POSTS = /^\/users\/[^/]+\/authentication\/temporaryAccessPassMethods$/;
const ALTERED =
  'TapDesk cannot act on this card: its data is incomplete or was altered. Use the latest card TapDesk sent you, or type help.';

interface CardBody {
  type?: string;
  style?: string;
  text?: string;
  items?: { text?: string }[];
}

const bodyOf = (text: string): CardBody[] =>
  (JSON.parse(text) as { value: { body: CardBody[] } }).value.body;

/** The reason on top of a refused request card. */
const bannerOf = (text: string): string | undefined => {
  const first = bodyOf(text)[0];
  return first?.type === 'Container' && first.style === 'warning'
    ? first.items?.[0]?.text
    : undefined;
};

const allAudit = (s: Scenario) =>
  s.h.bot.services.store.auditBetween('1970-01-01T00:00:00Z', '9999-01-01T00:00:00Z');

describe('untrusted card data', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.close();
  });

  it('refuses unknown, malformed and incomplete card data with a notice and an audit event', async () => {
    s = await startScenario();
    const { requestId } = await s.submitLostPhone();
    const channel = s.channelCard();
    const before = await s.request(requestId);
    const sent = s.h.connector.log.length;

    const unknownId = randomUUID();
    const unknown = await s.click(hugo, 'approve', { requestId: unknownId }, channel);
    expect(unknown.status).toBe(200);
    expect(unknown.text).toContain('Nothing was changed');
    expect(unknown.text).toContain(UNKNOWN_REQUEST);
    const unknownAttest = await s.click(maya, 'attestConfirm', { requestId: unknownId });
    expect(unknownAttest.text).toContain(UNKNOWN_REQUEST);
    const unknownRemoval = await s.click(ava, 'removeOldDevice', {
      requestId: unknownId,
      methodId: 'e0000000-0000-4000-8000-000000000101',
    });
    expect(unknownRemoval.text).toContain(UNKNOWN_REQUEST);

    const malformed: [string, Record<string, unknown>][] = [
      ['approve', { requestId: 'not-a-uuid' }],
      ['approve', { requestId: 42 }],
      ['approve', { requestId: `${requestId}' OR '1'='1` }],
      ['approve', {}],
      ['toggleCheck', { requestId }],
      ['toggleCheck', { requestId, check: 'callback', done: 'maybe' }],
      ['removeOldDevice', { requestId }],
      ['deny', { requestId, reason: 'x'.repeat(501) }],
    ];
    for (const [verb, data] of malformed) {
      const answer = await s.click(hugo, verb, data, channel);
      expect(answer.status, `${verb} ${JSON.stringify(data)}`).toBe(200);
      expect(answer.text).toContain(ALTERED);
    }

    // Card data that is not even an object is a malformed invoke.
    const notAnObject = await s.h.post({
      ...invoke('approve', {}, hugo, { serviceUrl: s.h.connector.url }),
      value: { action: { type: 'Action.Execute', verb: 'approve', data: 'drop table' } },
    });
    expect(notAnObject.status).toBe(400);

    const refused = (await allAudit(s)).filter((e) => e.outcome === 'refused');
    expect(
      refused.filter((e) => e.reason === `unknown request id ${unknownId}` && e.requestId === null),
    ).toHaveLength(3);
    expect(refused.filter((e) => e.reason === 'malformed card data')).toHaveLength(
      malformed.length,
    );
    expect(refused.find((e) => e.reason === 'malformed card data')?.actor.id).toBe(DEMO.users.hugo);

    await s.settle();
    expect(await s.request(requestId)).toEqual(before);
    expect(s.h.connector.log.length).toBe(sent);
    expect(s.h.directory.callsTo('POST', TAP_POSTS)).toHaveLength(0);
  });

  it('refuses a check that does not exist on the request', async () => {
    s = await startScenario();
    const { requestId } = await s.submitLostPhone();
    const before = await s.request(requestId);
    const answer = await s.click(
      hugo,
      'toggleCheck',
      { requestId, check: 'manager_said_so', done: true },
      s.channelCard(),
    );
    expect(bannerOf(answer.text)).toBe(
      '"manager_said_so" is not a verification check for this request.',
    );
    expect(await s.request(requestId)).toEqual(before);
    expect((await s.h.bot.services.store.auditForRequest(requestId)).at(-1)).toMatchObject({
      action: 'tick',
      outcome: 'refused',
    });
  });

  it('refuses approve on a denied request', async () => {
    s = await startScenario();
    const { requestId } = await s.submitLostPhone();
    const channel = s.channelCard();
    const reason = 'Could not reach her on the number on file';
    await s.click(hugo, 'deny', { requestId, reason }, channel);
    await s.settle();
    const denied = await s.request(requestId);
    expect(denied.state).toBe('denied');

    const late = await s.click(hana, 'approve', { requestId }, channel);
    expect(bannerOf(late.text)).toBe(`This request was denied by Hugo Helpdesk: ${reason}.`);
    expect(late.text).toContain('"text":"Denied"');
    expect(await s.request(requestId)).toEqual(denied);
    expect(s.h.directory.callsTo('POST', TAP_POSTS)).toHaveLength(0);
    expect((await s.h.bot.services.store.auditForRequest(requestId)).at(-1)).toMatchObject({
      actor: { id: DEMO.users.hana },
      action: 'approve',
      outcome: 'refused',
    });
  });

  it('refuses approve, Delivered and a retry on a completed request', async () => {
    s = await startScenario();
    const { requestId, agentCard } = await s.issuePass();
    await s.click(hugo, 'deliver', { requestId }, agentCard);
    s.h.directory.tenant.methods.get(DEMO.users.ava)?.push({
      type: 'microsoftAuthenticator',
      id: 'e0000000-0000-4000-8000-0000000001ff',
      displayName: 'Pixel 9',
      deviceTag: 'SoftwareTokenActivated',
      phoneAppVersion: '6.2409.6094',
      createdDateTime: new Date(Date.now() + 1000).toISOString(),
    });
    await s.h.bot.sweep();
    await s.settle();
    const completed = await s.request(requestId);
    expect(completed.state).toBe('completed');

    const channel = s.channelCard();
    for (const [who, verb, card] of [
      [hana, 'approve', channel],
      [hugo, 'retryIssue', channel],
      [hugo, 'deliver', agentCard],
    ] as const) {
      const answer = await s.click(who, verb, { requestId }, card);
      expect(bannerOf(answer.text), verb).toBe('This request was completed.');
    }
    expect(await s.request(requestId)).toEqual(completed);
    expect(s.h.directory.callsTo('POST', TAP_POSTS)).toHaveLength(1);
    const refusals = (await s.h.bot.services.store.auditForRequest(requestId)).filter(
      (e) => e.outcome === 'refused',
    );
    expect(refusals.map((e) => e.action)).toEqual(['approve', 'begin_issue', 'deliver']);
  });

  it('refuses Delivered, Revoke and "I\'m done" before the pass exists', async () => {
    s = await startScenario();
    const { requestId, card } = await s.submitLostPhone();
    await s.verify(requestId);
    s.h.directory.denyPermission('UserAuthenticationMethod.ReadWrite.All');
    await s.click(hugo, 'approve', { requestId }, s.channelCard());
    await s.settle();
    const approved = await s.request(requestId);
    expect(approved.state).toBe('approved');

    const deliver = await s.click(hugo, 'deliver', { requestId });
    expect(bannerOf(deliver.text)).toBe(
      'You cannot mark the pass delivered now: the request is "Approved, creating the pass".',
    );
    const revoke = await s.click(hugo, 'revoke', { requestId, reason: 'testing' });
    expect(bannerOf(revoke.text)).toBe('There is no pass to revoke yet; deny the request instead.');
    const done = await s.click(ava, 'finishRecovery', { requestId }, card);
    expect(bannerOf(done.text)).toMatch(/^This request cannot be completed before its pass exists/);

    expect(await s.request(requestId)).toEqual(approved);
    const refusals = (await s.h.bot.services.store.auditForRequest(requestId)).filter(
      (e) => e.outcome === 'refused',
    );
    expect(refusals.map((e) => e.action)).toEqual(['deliver', 'revoke', 'complete']);
  });

  it('refuses a click on an expired request and updates every card to say it expired', async () => {
    const clock = testClock();
    s = await startScenario({ now: clock.now });
    const { requestId } = await s.submitLostPhone();
    const channel = s.channelCard();
    const ttl = s.h.bot.services.config.requestTtlMinutes;
    clock.advance(ttl + 1);

    const answer = await s.click(
      hugo,
      'toggleCheck',
      { requestId, check: 'callback', done: true },
      channel,
    );
    expect(bannerOf(answer.text)).toMatch(
      /^This request expired at \d\d:\d\d UTC; ask for a new one\.$/,
    );
    expect(answer.text).toContain('"text":"Expired"');
    await s.settle();

    const request = await s.request(requestId);
    expect(request.state).toBe('expired');
    expect(request.checks).toEqual({});
    const trail = await s.h.bot.services.store.auditForRequest(requestId);
    expect(trail.slice(-2)).toEqual([
      expect.objectContaining({
        action: 'expired',
        outcome: 'ok',
        actor: expect.objectContaining({ id: 'system' }),
      }),
      expect.objectContaining({ action: 'tick', outcome: 'refused' }),
    ]);

    expect(s.channelCard().text).toContain('"text":"Expired"');
    expect(s.channelCard().text).not.toContain('"verb":"approve"');
    expect(textOf(await s.chat(ava))).toContain('Status: Expired');
    expect(textOf(await s.chat(maya))).toContain('This request is closed (expired)');
    expect(textOf(await s.chat(maya))).not.toContain('"verb":"attestConfirm"');

    // The manager's answer after expiry is refused the same way and changes nothing.
    const mayaChat = await s.chatOf(maya);
    const late = await s.click(
      maya,
      'attestConfirm',
      { requestId },
      {
        conversationId: mayaChat,
        activityId: s.h.connector.conversation(mayaChat)[0]!.id!,
      },
    );
    expect(bannerOf(late.text)).toMatch(/^This request expired at/);
    expect(await s.request(requestId)).toEqual(request);
  });

  it('expires a forgotten request on the periodic check and says so on every card', async () => {
    const clock = testClock();
    s = await startScenario({ now: clock.now });
    const { requestId } = await s.submitLostPhone();
    clock.advance(s.h.bot.services.config.requestTtlMinutes + 1);
    await s.h.bot.sweep();
    await s.settle();

    expect((await s.request(requestId)).state).toBe('expired');
    expect(s.channelCard().text).toContain('"text":"Expired"');
    expect(textOf(await s.chat(ava))).toContain('Status: Expired');
    expect(textOf(await s.chat(maya))).toContain('This request is closed (expired)');
  });
});
