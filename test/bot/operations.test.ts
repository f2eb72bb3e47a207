import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { windowStats } from '../../src/domain/stats.js';
import { message } from '../support/activities.js';
import { anAuditEvent, aRequest } from '../support/factories.js';
import { PEOPLE, startScenario, type Scenario } from '../support/scenario.js';

const { ava, olly, hugo, sam } = PEOPLE;
const MINUTE = 60_000;
const ago = (minutes: number) => new Date(Date.now() - minutes * MINUTE).toISOString();

describe('helpdesk and requester commands over HTTP', () => {
  let s: Scenario;
  beforeEach(async () => {
    s = await startScenario();
  });
  afterEach(async () => {
    await s.close();
  });

  async function seed() {
    const store = s.h.bot.services.store;
    const newer = await store.createRequest(
      aRequest({ createdAt: ago(5), assignee: { id: hugo.aadObjectId, name: hugo.name } }),
    );
    const older = await store.createRequest(
      aRequest({
        createdAt: ago(90),
        requester: {
          id: olly.aadObjectId,
          name: olly.name,
          upn: 'olly@contoso.example',
          department: null,
        },
        flags: ['Phone number on file changed on 2026-11-20, in the last 14 days'],
        cards: {
          channel: {
            conversationId: '19:helpdesk@thread.tacv2;messageid=171',
            activityId: '171',
          },
        },
      }),
    );
    await store.createRequest(aRequest({ createdAt: ago(30), state: 'completed' }));
    return { newer, older };
  }

  it('queue lists open requests oldest first with state, age, holder, flags and a link', async () => {
    await seed();
    const reply = await s.say(hugo, 'queue');
    const ollyAt = reply.indexOf('Olly Orphan');
    expect(ollyAt).toBeGreaterThan(-1);
    expect(reply.indexOf('Ava Employee')).toBeGreaterThan(ollyAt);
    expect(reply).toContain('Open requests: 2');
    expect(reply).toMatch(
      /1 h 30 min old · unassigned · 1 flag · \[open card\]\(https:\/\/teams\.microsoft\.com\/l\/message\//,
    );
    expect(reply).toMatch(/5 min old · with Hugo Helpdesk/);
  });

  it('queue and stats are refused to someone outside the helpdesk, and audited', async () => {
    await seed();
    for (const command of ['queue', 'stats']) {
      expect(await s.say(sam, command)).toContain(`Only helpdesk agents can use \\"${command}\\"`);
    }
    const events = await s.h.bot.services.store.auditBetween(ago(10), ago(-10));
    expect(events.filter((e) => e.outcome === 'refused').map((e) => e.action)).toEqual([
      'queue',
      'stats',
    ]);
  });

  it('history shows the audit trail of a request', async () => {
    const { older } = await seed();
    const store = s.h.bot.services.store;
    await store.appendAudit(
      anAuditEvent({
        requestId: older.id,
        action: 'submitted',
        actor: { id: olly.aadObjectId, name: olly.name },
      }),
    );
    await store.appendAudit(
      anAuditEvent({ requestId: older.id, action: 'check_ticked', reason: 'callback' }),
    );
    const reply = await s.say(hugo, `history ${older.id}`);
    expect(reply).toContain('2 events');
    expect(reply).toContain('Olly Orphan submitted');
    expect(reply).toContain('Hugo Helpdesk check ticked — callback');
  });

  it('status shows the requester their open request and cancel withdraws it', async () => {
    const { newer } = await seed();
    expect(await s.say(ava, 'status')).toContain('Waiting for verification');
    expect(await s.say(ava, 'cancel')).toContain('Your request is cancelled');
    const after = await s.h.bot.services.store.getRequest(newer.id);
    expect(after?.state).toBe('cancelled');
    const trail = await s.h.bot.services.store.auditForRequest(newer.id);
    expect(trail.map((e) => [e.action, e.outcome])).toEqual([['cancelled', 'ok']]);
    expect(await s.say(ava, 'status')).toContain('You have no open request');
  });

  it('an agent mentioning the bot with queue in the channel gets the queue there', async () => {
    await seed();
    const before = s.h.connector.log.length;
    const result = await s.h.post(
      message('queue', hugo, { serviceUrl: s.h.connector.url, channel: true }),
    );
    expect(result.status).toBeLessThan(300);
    expect(JSON.stringify(s.h.connector.log.slice(before))).toContain('Open requests: 2');
  });

  it('stats counts requests by kind and outcome with median times', async () => {
    const store = s.h.bot.services.store;
    const a = await store.createRequest(aRequest({ createdAt: ago(60), state: 'completed' }));
    const b = await store.createRequest(aRequest({ createdAt: ago(3 * 24 * 60), state: 'denied' }));
    await store.createRequest(
      aRequest({ createdAt: ago(20 * 24 * 60), state: 'expired', kind: 'new_hire' }),
    );
    await store.appendAudit(anAuditEvent({ requestId: a.id, action: 'pass_issued', at: ago(40) }));
    await store.appendAudit(anAuditEvent({ requestId: a.id, action: 'completed', at: ago(10) }));
    await store.appendAudit(
      anAuditEvent({ requestId: b.id, action: 'denied', at: ago(3 * 24 * 60 - 5) }),
    );
    const reply = await s.say(hugo, 'stats');
    expect(reply).toContain('Last 7 days');
    expect(reply).toContain('2 requests');
    expect(reply).toContain('3 requests');
    expect(reply).toContain('Median time to pass: 20 min');
    expect(reply).toContain('Median time to completion: 50 min');
    expect(reply).toContain('First device for a new starter: 1');
  });
});

describe('windowStats', () => {
  it('takes the median of an even count as the mean of the middle two', () => {
    const now = new Date('2026-11-23T12:00:00Z');
    const created = '2026-11-23T10:00:00.000Z';
    const requests = [0, 1, 2, 3].map((i) => ({
      ...aRequest({ createdAt: created }),
      id: `r${i}`,
      etag: '1',
    }));
    const events = requests.map((r, i) => ({
      ...anAuditEvent({
        requestId: r.id,
        action: 'pass_issued',
        at: new Date(Date.parse(created) + (i + 1) * 10 * MINUTE).toISOString(),
      }),
      id: `e${i}`,
    }));
    expect(windowStats(requests, events, 7, now).medianToPassMinutes).toBe(25);
    expect(windowStats([], [], 7, now).medianToPassMinutes).toBeNull();
  });
});
