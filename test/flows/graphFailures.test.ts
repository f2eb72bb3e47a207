/**
 * When Graph says no, is slow or throttles, and when verification itself raises the alarm:
 * a missing permission, 429/503, a slow pass creation, a suspicious report, a privileged target
 * and a requester without a manager (SPEC §2.1, §4.3, §5).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Fault } from '../../src/demo/directoryEmulator.js';
import { DEMO } from '../../src/demo/tenantSeed.js';
import { HELPDESK_CHANNEL } from '../support/activities.js';
import { PEOPLE, startScenario, textOf, type Scenario } from '../support/scenario.js';

const { ava, maya, hugo, hana, ada, olly } = PEOPLE;
const TAP_POSTS = /^\/users\/[^/]+\/authentication\/temporaryAccessPassMethods$/;
const MISSING_PERMISSION =
  'TapDesk lacks the Microsoft Graph application permission UserAuthenticationMethod.ReadWrite.All';

interface CardBody {
  type?: string;
  style?: string;
  items?: { text?: string }[];
}

const bannerOf = (text: string): string | undefined => {
  const first = (JSON.parse(text) as { value: { body: CardBody[] } }).value.body[0];
  return first?.type === 'Container' && first.style === 'warning'
    ? first.items?.[0]?.text
    : undefined;
};

const tapsOf = (s: Scenario, userId: string) =>
  (s.h.directory.tenant.methods.get(userId) ?? []).filter((m) => m.type === 'temporaryAccessPass');

describe('Graph failures and alarms', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.close();
  });

  const readyRequest = async (): Promise<string> => {
    const { requestId } = await s.submitLostPhone();
    await s.verify(requestId);
    return requestId;
  };

  it.each([
    [
      'the permission is withdrawn',
      (sc: Scenario) => sc.h.directory.denyPermission('UserAuthenticationMethod.ReadWrite.All'),
    ],
    [
      'Graph answers 403 to the creation',
      (sc: Scenario) =>
        sc.h.directory.inject({ method: 'POST', path: TAP_POSTS, status: 403, times: Infinity }),
    ],
  ])(
    'a 403 when %s leaves the request approved, names the permission and offers a retry that works',
    async (_, forbid) => {
      s = await startScenario();
      const requestId = await readyRequest();
      forbid(s);
      const approved = await s.click(hugo, 'approve', { requestId }, s.channelCard());
      expect(approved.text).toContain('Approved, creating the pass');
      await s.settle();

      const request = await s.request(requestId);
      expect(request.state).toBe('approved');
      expect(request.pass).toBeNull();
      expect(request.issuing).toBeNull();
      expect(s.h.directory.issuedPasses).toEqual([]);
      const channel = s.channelCard();
      expect(channel.text).toContain(MISSING_PERMISSION);
      expect(channel.text).toContain('An administrator must grant it and give admin consent.');
      expect(channel.text).toContain('"verb":"retryIssue"');
      expect(channel.text).not.toContain('"verb":"approve"');
      const avaCard = textOf(await s.chat(ava));
      expect(avaCard).toContain('The pass is being created');
      expect(avaCard).not.toContain('permission');

      // The fix is the administrator's; then the approver (and only they) tries again.
      s.h.directory.reset();
      const byHana = await s.click(hana, 'retryIssue', { requestId }, channel);
      expect(bannerOf(byHana.text)).toBe(
        'Only Hugo Helpdesk, who approved this request, can create the pass.',
      );
      const retried = await s.click(hugo, 'retryIssue', { requestId }, channel);
      expect(bannerOf(retried.text)).toBeUndefined();
      await s.settle();

      expect(s.h.directory.issuedPasses).toHaveLength(1);
      expect((await s.request(requestId)).state).toBe('pass_issued');
      expect((await s.cardWith(hugo, 'deliver')).text).toContain(s.h.directory.issuedPasses[0]);
      expect(s.channelCard().text).not.toContain(MISSING_PERMISSION);
      const trail = (await s.h.bot.services.store.auditForRequest(requestId)).map(
        (e) => `${e.action}:${e.outcome}`,
      );
      expect(trail).toEqual(
        expect.arrayContaining(['issue_failed:ok', 'begin_issue:refused', 'pass_issued:ok']),
      );
    },
  );

  it.each<[string, Fault['status']]>([
    ['429', 429],
    ['503', 503],
  ])('a %s on pass creation is retried and the pass is issued once', async (_, status) => {
    s = await startScenario();
    const requestId = await readyRequest();
    s.h.directory.inject({
      method: 'POST',
      path: TAP_POSTS,
      status,
      retryAfterSeconds: 1,
      times: 1,
    });
    await s.click(hugo, 'approve', { requestId }, s.channelCard());
    await s.settle();

    expect(s.h.directory.callsTo('POST', TAP_POSTS).map((c) => c.status)).toEqual([status, 201]);
    expect(s.h.directory.issuedPasses).toHaveLength(1);
    expect(tapsOf(s, DEMO.users.ava)).toHaveLength(1);
    expect((await s.request(requestId)).state).toBe('pass_issued');
  });

  it('gives up on a Graph that stays unavailable after bounded retries, and says so', async () => {
    s = await startScenario();
    const requestId = await readyRequest();
    s.h.directory.inject({
      method: 'POST',
      path: TAP_POSTS,
      status: 503,
      retryAfterSeconds: 0,
      times: Infinity,
    });
    await s.click(hugo, 'approve', { requestId }, s.channelCard());
    await s.settle();

    const attempts = s.h.directory.callsTo('POST', TAP_POSTS);
    expect(attempts.length).toBeGreaterThan(1);
    expect(attempts.length).toBeLessThanOrEqual(11);
    const request = await s.request(requestId);
    expect(request.state).toBe('approved');
    expect(request.lastError).toContain('Microsoft Graph is unavailable right now');
    expect(s.channelCard().text).toContain('"verb":"retryIssue"');
  });

  it('a revoke Graph refuses changes nothing, says why, is audited, and works once allowed', async () => {
    s = await startScenario();
    const { requestId, agentCard } = await s.issuePass();
    const pass = s.h.directory.issuedPasses[0]!;
    const before = await s.request(requestId);
    s.h.directory.inject({
      method: 'DELETE',
      path: /temporaryAccessPassMethods/,
      status: 403,
      times: Infinity,
    });

    const refused = await s.click(
      hugo,
      'revoke',
      { requestId, reason: 'Wrong person answered' },
      agentCard,
    );
    expect(bannerOf(refused.text)).toMatch(
      /^The pass could not be revoked: TapDesk lacks the Microsoft Graph application permission UserAuthenticationMethod\.ReadWrite\.All/,
    );
    expect(refused.text).not.toContain(pass);
    expect(await s.request(requestId)).toEqual(before);
    expect(tapsOf(s, DEMO.users.ava)).toHaveLength(1);
    expect((await s.h.bot.services.store.auditForRequest(requestId)).at(-1)).toMatchObject({
      actor: { id: DEMO.users.hugo },
      action: 'revoke',
      outcome: 'failed',
    });

    s.h.directory.reset();
    const revoked = await s.click(
      hugo,
      'revoke',
      { requestId, reason: 'Wrong person answered' },
      agentCard,
    );
    expect(bannerOf(revoked.text)).toBeUndefined();
    await s.settle();
    expect(tapsOf(s, DEMO.users.ava)).toEqual([]);
    expect((await s.request(requestId)).state).toBe('cancelled');
    expect(textOf(s.h.connector.conversation(agentCard.conversationId))).not.toContain(pass);
  });

  it('answers the approval before a slow Graph has created the pass', async () => {
    s = await startScenario();
    const requestId = await readyRequest();
    s.h.directory.setLatency(3000, /temporaryAccessPassMethods/);
    const approved = await s.click(hugo, 'approve', { requestId }, s.channelCard());

    // The answer is already here; the pass does not exist yet.
    expect(approved.text).toContain('Approved, creating the pass');
    expect(s.h.directory.callsTo('POST', TAP_POSTS)).toEqual([]);
    expect(s.h.directory.issuedPasses).toEqual([]);
    expect(tapsOf(s, DEMO.users.ava)).toEqual([]);

    await s.settle();
    expect(s.h.directory.issuedPasses).toHaveLength(1);
    expect((await s.request(requestId)).state).toBe('pass_issued');
  });

  it('a suspicious report ends the request, tells the requester only that the helpdesk will call, and alerts security', async () => {
    s = await startScenario();
    const { requestId } = await s.submitLostPhone();
    const mayaCard = await s.cardWith(maya, 'attestSuspicious');
    const answer = await s.click(maya, 'attestSuspicious', { requestId }, mayaCard);
    expect(answer.text).toContain('You answered: reported it as suspicious.');
    await s.settle();

    const request = await s.request(requestId);
    expect(request.state).toBe('escalated');
    expect(request.attestation).toBe('suspicious');

    const avaChat = await s.chatOf(ava);
    const avaCard = textOf(s.h.connector.conversation(avaChat));
    expect(avaCard).toContain('Your request needs a closer look. The helpdesk will contact you.');
    expect(s.h.connector.textOf(avaChat)).not.toMatch(/suspicious/i);

    const alerts = s.securityAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain('A manager reported a recovery request as suspicious');
    expect(alerts[0]).toContain('Ava Employee (ava@contoso.example)');
    expect(alerts[0]).toContain('"title":"Reported by","value":"Maya Manager"');

    const channel = s.channelCard();
    expect(channel.text).toContain('Escalated to security');
    expect(channel.text).not.toContain('"verb":"approve"');
    const late = await s.click(hugo, 'approve', { requestId }, channel);
    expect(bannerOf(late.text)).toMatch(/^This request was escalated to the security team/);
    expect(s.h.directory.callsTo('POST', TAP_POSTS)).toEqual([]);
  });

  it('a privileged account gets no request and security gets an alert', async () => {
    s = await startScenario();
    const reply = await s.say(ada, 'I lost my phone');
    expect(reply).toContain(
      'Your account has administrator rights, so TapDesk cannot issue a pass',
    );
    expect(reply).not.toContain('"verb":"submitLostPhone"');
    expect(await s.h.bot.services.store.listRequestsSince('1970-01-01T00:00:00Z')).toEqual([]);

    const alerts = s.securityAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain('A privileged account asked TapDesk for a pass');
    expect(alerts[0]).toContain('Ada Admin (ada@contoso.example)');
    expect(s.h.connector.log.filter((e) => e.conversationId.startsWith(HELPDESK_CHANNEL))).toEqual(
      [],
    );
    const events = await s.h.bot.services.store.auditBetween(
      '1970-01-01T00:00:00Z',
      '9999-01-01T00:00:00Z',
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        actor: { id: DEMO.users.ada, name: 'Ada Admin' },
        action: 'escalated_privileged',
        outcome: 'refused',
      }),
    );
  });

  it('without a manager the channel card shows the no-manager check, and approval waits for it', async () => {
    s = await startScenario();
    const { requestId, answer } = await s.submitLostPhone(olly);
    expect(answer.text).toContain('The directory shows no manager for you');

    const channel = s.channelCard();
    expect(channel.text).toContain('No manager in the directory: helpdesk verification only');
    expect(channel.text).toContain(
      '☐ No manager in the directory: I accept that helpdesk verification is the only check',
    );
    expect(s.h.directory.callsTo('POST', /teamwork\/installedApps$/)).toEqual([]);

    for (const check of ['callback', 'identity']) {
      await s.click(hugo, 'toggleCheck', { requestId, check, done: true }, channel);
    }
    await s.click(hugo, 'reviewFlags', { requestId }, channel);
    const early = await s.click(hugo, 'approve', { requestId }, channel);
    expect(bannerOf(early.text)).toBe(
      'Not ready to approve yet. Not done yet: "No manager in the directory: I accept that helpdesk verification is the only check".',
    );
    expect((await s.request(requestId)).state).toBe('awaiting_verification');

    await s.click(hugo, 'toggleCheck', { requestId, check: 'no_manager_ack', done: true }, channel);
    const approved = await s.click(hugo, 'approve', { requestId }, channel);
    expect(bannerOf(approved.text)).toBeUndefined();
    await s.settle();
    expect((await s.request(requestId)).state).toBe('pass_issued');
    expect(s.h.directory.issuedPasses).toHaveLength(1);
  });
});
