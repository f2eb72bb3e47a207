/**
 * What happens after something failed half way: a card Teams did not update, a pass creation
 * that was interrupted, a requester clicking an old card of an escalated request.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CardRef } from '../../src/domain/request.js';
import type { OutgoingActivity } from '../../src/ports.js';
import {
  PEOPLE,
  startScenario,
  testClock,
  type Scenario,
  type TestClock,
} from '../support/scenario.js';

const { ava, maya, hugo } = PEOPLE;

describe('recovering from half-done work', () => {
  let s: Scenario;
  let clock: TestClock;
  beforeEach(async () => {
    clock = testClock();
    s = await startScenario({ now: () => clock.now() });
  });
  afterEach(async () => {
    await s.close();
  });

  it('a pass card Teams did not update is not recorded as scrubbed, and the sweep hides it later', async () => {
    const { requestId, agentCard } = await s.issuePass(ava, hugo);
    const pass = s.h.directory.issuedPasses[0]!;
    const messenger = s.h.bot.services.messenger;
    const update = messenger.update.bind(messenger);
    let refused = 0;
    messenger.update = async (ref: CardRef, activity: OutgoingActivity) => {
      if (ref.activityId === agentCard.activityId && refused === 0) {
        refused += 1;
        throw new Error('Teams is having a bad minute');
      }
      return update(ref, activity);
    };

    await s.click(hugo, 'deliver', { requestId }, agentCard);
    await s.settle();
    expect(refused).toBe(1);
    expect((await s.request(requestId)).pass?.scrubbedAt).toBeNull();
    expect(JSON.stringify(s.h.connector.conversation(agentCard.conversationId))).toContain(pass);

    await s.h.bot.sweep();
    await s.settle();
    expect((await s.request(requestId)).pass?.scrubbedAt).not.toBeNull();
    expect(JSON.stringify(s.h.connector.conversation(agentCard.conversationId))).not.toContain(
      pass,
    );
  });

  it('an interrupted pass creation is cleaned up by the sweep once its lease runs out', async () => {
    const { requestId } = await s.submitLostPhone(ava);
    await s.verify(requestId, hugo);
    // The process "dies" right after Graph created the pass: nothing is recorded.
    const directory = s.h.bot.services.directory;
    const createTap = directory.createTap.bind(directory);
    directory.createTap = async (userId, options) => {
      await createTap(userId, options);
      throw new Error('process stopped');
    };
    const stored = s.h.bot.services.store;
    const update = stored.updateRequest.bind(stored);
    let frozen = true;
    stored.updateRequest = async (request) => {
      if (frozen && request.lastError !== null) throw new Error('process stopped');
      return update(request);
    };
    await s.click(hugo, 'approve', { requestId }, s.channelCard());
    await s.settle();
    frozen = false;
    directory.createTap = createTap;
    expect((await s.request(requestId)).issuing).not.toBeNull();
    expect(
      s.h.directory.tenant.methods
        .get(ava.aadObjectId)!
        .some((m) => m.type === 'temporaryAccessPass'),
    ).toBe(true);

    await s.h.bot.sweep();
    expect((await s.request(requestId)).issuing).not.toBeNull();
    clock.advance(6);
    await s.h.bot.sweep();
    await s.settle();
    const request = await s.request(requestId);
    expect(request.state).toBe('approved');
    expect(request.issuing).toBeNull();
    expect(request.lastError).toContain('interrupted');
    expect(
      s.h.directory.tenant.methods
        .get(ava.aadObjectId)!
        .some((m) => m.type === 'temporaryAccessPass'),
    ).toBe(false);
    expect(s.channelCard().text).toContain('"verb":"retryIssue"');
  });

  it('a requester clicking an old card of an escalated request is not told it was reported', async () => {
    const { requestId, card } = await s.submitLostPhone(ava);
    const managerCard = await s.cardWith(maya, 'attestSuspicious');
    await s.click(maya, 'attestSuspicious', { requestId }, managerCard);
    await s.settle();
    const answer = await s.click(ava, 'cancelRequest', { requestId }, card);
    expect(answer.text).toContain('This request is closed. The helpdesk will contact you.');
    expect(answer.text).not.toMatch(/suspicious|Maya/i);
  });
});
