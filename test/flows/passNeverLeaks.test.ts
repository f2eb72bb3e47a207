/**
 * SPEC §4.1: the Temporary Access Pass exists only in the approving agent's 1:1 card, and only
 * until it is delivered, ten minutes pass, or the request ends. It is searched for everywhere
 * else TapDesk writes: every conversation, the logs, the store's files, the audit trail and the
 * answers to clicks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatedMethod } from '../../src/demo/directoryEmulator.js';
import { DEMO } from '../../src/demo/tenantSeed.js';
import { PEOPLE, startScenario, testClock, textOf, type Scenario } from '../support/scenario.js';

const { ava, hugo } = PEOPLE;

/** Every place TapDesk writes to, except the agent's chat, as one list of named texts. */
async function everywhereElse(s: Scenario, agentChat: string): Promise<[string, string][]> {
  const conversations = [...new Set(s.h.connector.log.map((e) => e.conversationId))].filter(
    (id) => id !== agentChat,
  );
  const audit = await s.h.bot.services.store.auditBetween(
    '1970-01-01T00:00:00Z',
    '9999-01-01T00:00:00Z',
  );
  return [
    ...conversations.map((id): [string, string] => [
      `conversation ${id}`,
      s.h.connector.textOf(id),
    ]),
    ['logs', s.h.logs.join('\n')],
    ['store files', s.h.storeFiles()],
    ['audit', textOf(audit)],
    ['answers to clicks and messages', s.answers.join('\n')],
  ];
}

function expectNowhere(pass: string, places: [string, string][]): void {
  for (const [where, text] of places) {
    expect(text.includes(pass), `the pass must not be in ${where}`).toBe(false);
  }
}

const tapsOf = (s: Scenario) =>
  (s.h.directory.tenant.methods.get(DEMO.users.ava) ?? []).filter(
    (m) => m.type === 'temporaryAccessPass',
  );

describe('the pass never leaks', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.close();
  });

  it('appears only in the approving agent’s chat, and no longer after Delivered', async () => {
    s = await startScenario();
    const { requestId, agentCard } = await s.issuePass();
    const pass = s.h.directory.issuedPasses[0]!;
    expect(s.h.directory.issuedPasses).toHaveLength(1);

    const withPass = [...new Set(s.h.connector.log.map((e) => e.conversationId))].filter((id) =>
      s.h.connector.textOf(id).includes(pass),
    );
    expect(withPass).toEqual([agentCard.conversationId]);
    expect(agentCard.conversationId).toBe(await s.chatOf(hugo));
    expect(agentCard.text).toContain(pass);

    await s.click(hugo, 'deliver', { requestId }, agentCard);
    await s.settle();
    expect(textOf(s.h.connector.conversation(agentCard.conversationId))).not.toContain(pass);

    // The rest of the flow must not bring it back anywhere either.
    const newPhone: EmulatedMethod = {
      type: 'microsoftAuthenticator',
      id: 'e0000000-0000-4000-8000-0000000001ff',
      displayName: 'Pixel 9',
      deviceTag: 'SoftwareTokenActivated',
      phoneAppVersion: '6.2409.6094',
      createdDateTime: new Date(Date.now() + 1000).toISOString(),
    };
    s.h.directory.tenant.methods.get(DEMO.users.ava)?.push(newPhone);
    const statusCard = await s.cardWith(ava, 'finishRecovery');
    expect((await s.click(ava, 'finishRecovery', { requestId }, statusCard)).text).toContain(
      'Completed',
    );
    await s.settle();

    expect(textOf(s.h.connector.conversation(agentCard.conversationId))).not.toContain(pass);
    expectNowhere(pass, await everywhereElse(s, agentCard.conversationId));
  });

  it('is scrubbed from the agent’s card ten minutes after it was created', async () => {
    const clock = testClock();
    s = await startScenario({ now: clock.now });
    const { requestId, agentCard } = await s.issuePass();
    const pass = s.h.directory.issuedPasses[0]!;

    clock.advance(9);
    await s.h.bot.sweep();
    expect(textOf(s.h.connector.conversation(agentCard.conversationId))).toContain(pass);

    clock.advance(2);
    await s.h.bot.sweep();
    await s.settle();
    const current = textOf(s.h.connector.conversation(agentCard.conversationId));
    expect(current).not.toContain(pass);
    expect(current).toContain('it is shown for 10 minutes at most');
    expect((await s.request(requestId)).pass?.scrubbedAt).not.toBeNull();
    expectNowhere(pass, await everywhereElse(s, agentCard.conversationId));
  });

  it('leaves no pass anywhere, and none in Graph, when the agent’s card cannot be sent', async () => {
    s = await startScenario();
    const { requestId } = await s.submitLostPhone();
    await s.verify(requestId);
    // Hugo's pass card is the only reply TapDesk sends after the approval; Teams keeps throttling
    // it (Retry-After 0 keeps the retries quick) until every retry is used up.
    s.h.connector.inject({ op: 'reply', status: 429, retryAfterSeconds: 0, times: 100 });
    await s.click(hugo, 'approve', { requestId }, s.channelCard());
    await s.settle();

    expect(s.h.connector.attempts.filter((a) => a.status === 429).length).toBeGreaterThan(1);
    expect(s.h.directory.issuedPasses).toHaveLength(1);
    const pass = s.h.directory.issuedPasses[0]!;
    expect(tapsOf(s)).toEqual([]);
    expect(s.h.directory.callsTo('DELETE', /temporaryAccessPassMethods/)).toHaveLength(1);

    const request = await s.request(requestId);
    expect(request.state).toBe('approved');
    expect(request.pass).toBeNull();
    expect(request.lastError).toContain('deleted the pass again');
    const channel = s.channelCard().text;
    expect(channel).toContain("could not send it to Hugo Helpdesk's chat with TapDesk");
    expect(channel).toContain('"verb":"retryIssue"');

    expect(s.h.connector.allText()).not.toContain(pass);
    expectNowhere(pass, await everywhereElse(s, ''));
  });
});
