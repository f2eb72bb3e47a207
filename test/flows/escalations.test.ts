import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aRequest } from '../support/factories.js';
import { PEOPLE, startScenario, type Scenario } from '../support/scenario.js';

const { ava, dan, olly, nina } = PEOPLE;
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

describe('escalations, rate limit and risk flags', () => {
  let s: Scenario;
  beforeEach(async () => {
    s = await startScenario();
  });
  afterEach(async () => {
    await s.close();
  });

  it('three refused attempts in 24 hours alert security once', async () => {
    for (let i = 0; i < 2; i++) expect(await s.say(dan, 'I lost my phone')).toContain('disabled');
    expect(s.securityAlerts()).toHaveLength(0);
    await s.say(dan, 'I lost my phone');
    expect(s.securityAlerts()).toHaveLength(1);
    expect(s.securityAlerts()[0]).toContain('3 refused pass requests in 24 hours');
    expect(s.securityAlerts()[0]).toContain('Dan Disabled');
    await s.say(dan, 'I lost my phone');
    expect(s.securityAlerts()).toHaveLength(1);
  });

  it('asking again after a suspicious report gets a neutral answer and alerts security', async () => {
    await s.h.bot.services.store.createRequest(
      aRequest({ createdAt: ago(120), state: 'escalated', attestation: 'suspicious' }),
    );
    await s.say(ava, 'I lost my phone');
    const reply = JSON.stringify((await s.chat(ava)).at(-1));
    expect(reply).toContain('The helpdesk needs to talk to you about this. They will contact you.');
    expect(reply).not.toMatch(/suspicious/i);
    expect(reply).not.toContain('submitLostPhone');
    expect(s.securityAlerts()).toHaveLength(1);
    expect(s.securityAlerts()[0]).toContain('A new request after a suspicious report');
    const events = await s.h.bot.services.store.auditBetween(ago(5), ago(-5));
    expect(events.map((e) => [e.action, e.outcome])).toContainEqual([
      'escalated_after_suspicious',
      'refused',
    ]);
  });

  it('the daily limit refuses a fourth request and says who can help', async () => {
    const store = s.h.bot.services.store;
    for (const minutes of [300, 200, 100]) {
      await store.createRequest(aRequest({ createdAt: ago(minutes), state: 'cancelled' }));
    }
    const reply = await s.say(ava, 'lost my phone');
    expect(reply).toContain('limit of 3 requests in 24 hours');
    expect(reply).toContain('call the helpdesk');
  });

  it('a recent change of the number on file shows as a flag with a review button', async () => {
    const { requestId } = await s.submitLostPhone(olly);
    const card = s.channelCard();
    expect(card.text).toContain('Risk flags');
    expect(card.text).toMatch(/Phone number on file changed on \d{4}-\d{2}-\d{2}/);
    expect(card.text).toContain('reviewFlags');
    const request = await s.request(requestId);
    expect(request.flags).toContainEqual(
      expect.stringMatching(/^Phone number on file changed on .*, in the last 14 days$/),
    );
    expect(request.flagsReviewed).toBe(false);
  });

  it('a new account and a risky user are flagged', async () => {
    s.h.directory.tenant.riskyUsers.set(PEOPLE.ava.aadObjectId, {
      riskLevel: 'high',
      riskState: 'atRisk',
      riskDetail: 'none',
      riskLastUpdatedDateTime: ago(60),
    });
    const { requestId } = await s.submitLostPhone(ava);
    expect((await s.request(requestId)).flags).toEqual([
      'Entra ID Protection rates this account high risk (atRisk)',
    ]);
    const newcomer = await s.submitLostPhone(nina);
    expect((await s.request(newcomer.requestId)).flags[0]).toMatch(
      /^Account created on \d{4}-\d{2}-\d{2}, less than 7 days ago$/,
    );
  });

  it('a recent change of manager or of sign-in methods in the directory audit log is flagged', async () => {
    const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 60 * 60_000).toISOString();
    const entry = (activityDisplayName: string, days: number, modifiedProperties: string[]) => ({
      id: `audit-${activityDisplayName}-${days}`,
      activityDisplayName,
      activityDateTime: daysAgo(days),
      category: 'UserManagement',
      targetUserId: ava.aadObjectId,
      modifiedProperties,
    });
    s.h.directory.tenant.directoryAudits.push(
      entry('Add manager to user', 2, ['Manager']),
      entry('User registered security info', 5, []),
      entry('Update user', 30, ['Mobile']),
    );
    const { requestId } = await s.submitLostPhone(ava);
    const { flags } = await s.request(requestId);
    expect(flags).toEqual([
      `Manager changed on ${daysAgo(2).slice(0, 10)}, in the last 14 days`,
      `Sign-in methods changed on ${daysAgo(5).slice(0, 10)}, in the last 14 days`,
    ]);
    const card = s.channelCard().text;
    expect(card).toContain('Risk flags');
    expect(card).toContain('"verb":"reviewFlags"');
  });

  it('without permission to read user risk the request goes on, with a note saying risk is not available', async () => {
    s.h.directory.denyPermission('IdentityRiskyUser.Read.All');
    const { requestId } = await s.submitLostPhone(ava);
    const request = await s.request(requestId);
    expect(request.state).toBe('awaiting_verification');
    expect(request.flags).toEqual([]);
    expect(s.h.directory.callsTo('GET', /identityProtection\/riskyUsers/)[0]?.status).toBe(403);
    expect(s.channelCard().text).toContain(
      'Note: Identity risk not available: TapDesk may not read Entra ID Protection',
    );
  });
});
