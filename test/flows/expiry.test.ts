import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  PEOPLE,
  startScenario,
  testClock,
  type Scenario,
  type TestClock,
} from '../support/scenario.js';

const { ava, hugo } = PEOPLE;
const TTL_MINUTES = 240;

describe('requests that wait too long expire', () => {
  let s: Scenario;
  let clock: TestClock;
  beforeEach(async () => {
    clock = testClock();
    s = await startScenario({ now: () => clock.now() });
  });
  afterEach(async () => {
    await s.close();
  });

  it('two concurrent sweeps expire a request once, with one audit event, and its cards say so', async () => {
    const { requestId } = await s.submitLostPhone(ava);
    clock.advance(TTL_MINUTES + 1);
    const second = await import('../../src/flows/sweep.js');
    await Promise.all([s.h.bot.sweep(), second.sweep(s.h.bot.services)]);
    await s.settle();
    const request = await s.request(requestId);
    expect(request.state).toBe('expired');
    const trail = await s.h.bot.services.store.auditForRequest(requestId);
    expect(trail.filter((e) => e.action === 'expired')).toHaveLength(1);
    const channel = s.channelCard();
    expect(channel.text).toContain('Expired at');
    expect(channel.text).not.toContain('"verb":"approve"');
    expect(channel.text).not.toContain('"verb":"toggleCheck"');
    const manager = JSON.stringify(await s.chat(PEOPLE.maya));
    expect(manager).not.toContain('"verb":"attestConfirm"');
    const requester = await s.cardWith(ava, 'submitLostPhone').catch(() => undefined);
    expect(requester).toBeUndefined();
    expect(JSON.stringify(await s.chat(ava))).toContain('Expired at');
  });

  it('a click on an expired request is refused and expires it on read', async () => {
    const { requestId } = await s.submitLostPhone(ava);
    clock.advance(TTL_MINUTES + 1);
    const card = s.channelCard();
    const answer = await s.click(hugo, 'assign', { requestId }, card);
    expect(answer.text).toContain('This request expired at');
    await s.settle();
    const request = await s.request(requestId);
    expect(request.state).toBe('expired');
    expect(request.assignee).toBeNull();
    const trail = await s.h.bot.services.store.auditForRequest(requestId);
    expect(trail.map((e) => [e.action, e.outcome]).slice(-2)).toEqual([
      ['expired', 'ok'],
      ['assign', 'refused'],
    ]);
    expect(s.channelCard().text).not.toContain('"verb":"assign"');
  });
});
