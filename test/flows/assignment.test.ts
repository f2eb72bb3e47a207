import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PEOPLE, startScenario, type Scenario } from '../support/scenario.js';

const { ava, olly, hugo, hana } = PEOPLE;

describe('who holds a request, and the flags review before approval', () => {
  let s: Scenario;
  beforeEach(async () => {
    s = await startScenario();
  });
  afterEach(async () => {
    await s.close();
  });

  it('an agent takes a request, the card shows who holds it, another agent cannot take it, and unassign frees it', async () => {
    const { requestId } = await s.submitLostPhone(ava);
    const card = s.channelCard();
    const taken = await s.click(hugo, 'assign', { requestId }, card);
    expect(taken.text).toContain('"title":"Assigned to","value":"Hugo Helpdesk"');
    await s.settle();
    expect(s.channelCard().text).toContain('"title":"Assigned to","value":"Hugo Helpdesk"');
    expect(s.channelCard().text).toContain('"verb":"unassign"');

    const second = await s.click(hana, 'assign', { requestId }, card);
    expect(second.text).toContain('Hugo Helpdesk is already working on this request');
    expect((await s.request(requestId)).assignee?.name).toBe('Hugo Helpdesk');

    await s.click(hana, 'unassign', { requestId }, card);
    await s.settle();
    expect((await s.request(requestId)).assignee).toBeNull();
    expect(s.channelCard().text).toContain('"title":"Assigned to","value":"nobody yet"');
    const trail = await s.h.bot.services.store.auditForRequest(requestId);
    expect(trail.map((e) => [e.action, e.outcome, e.actor.name])).toEqual(
      expect.arrayContaining([
        ['assigned', 'ok', 'Hugo Helpdesk'],
        ['assign', 'refused', 'Hana Helpdesk'],
        ['unassigned', 'ok', 'Hana Helpdesk'],
      ]),
    );
  });

  it('a flagged request cannot be approved until the agent confirms they reviewed the flags', async () => {
    const { requestId } = await s.submitLostPhone(olly);
    const card = s.channelCard();
    for (const check of ['callback', 'identity', 'no_manager_ack']) {
      await s.click(hugo, 'toggleCheck', { requestId, check, done: true }, card);
    }
    const early = await s.click(hugo, 'approve', { requestId }, card);
    expect(early.text).toContain('Review the risk flags first');
    expect(s.h.directory.callsTo('POST', /temporaryAccessPassMethods$/)).toHaveLength(0);

    await s.click(hugo, 'reviewFlags', { requestId }, card);
    const approved = await s.click(hugo, 'approve', { requestId }, card);
    expect(approved.text).toContain('Approved, creating the pass');
    await s.settle();
    expect(s.h.directory.callsTo('POST', /temporaryAccessPassMethods$/)).toHaveLength(1);
  });
});
