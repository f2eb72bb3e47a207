/**
 * A new employee's first device over HTTP (SPEC §2.3): the manager asks for a direct report,
 * the directory decides who that is at the click, and the pass is handed over in person.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/demo/tenantSeed.js';
import { isoDay } from '../../src/flows/plannedChange.js';
import { PEOPLE, startScenario, textOf, type Scenario } from '../support/scenario.js';

const { maya, hugo, nina } = PEOPLE;
const TAP_POSTS = /^\/users\/[^/]+\/authentication\/temporaryAccessPassMethods$/;

const verbsOf = (text: string): string[] =>
  [...text.matchAll(/"verb":"(\w+)"/g)].map((match) => match[1] ?? '');

const allRequests = (s: Scenario) =>
  s.h.bot.services.store.listRequestsSince('1970-01-01T00:00:00Z');

const refusals = async (s: Scenario) =>
  (await s.h.bot.services.store.auditBetween('1970-01-01T00:00:00Z', '2999-01-01T00:00:00Z'))
    .filter((e) => e.outcome === 'refused')
    .map((e) => ({ actor: e.actor.name, action: e.action, reason: e.reason }));

describe('new employee, first device', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.close();
  });

  it('refuses a pass for anyone the directory does not show as the clicker’s direct report', async () => {
    s = await startScenario();
    const offer = await s.say(maya, 'new starter');
    expect(offer).toContain('Nina Newhire (nina@contoso.example)');
    expect(offer).toContain('Ava Employee (ava@contoso.example)');
    expect(offer).not.toContain('Olly');
    const card = await s.cardWith(maya, 'requestNewHirePass');

    // Olly reports to nobody; Maya alters the card data to ask for him anyway.
    const olly = await s.click(maya, 'requestNewHirePass', { newHireId: DEMO.users.olly }, card);
    expect(olly.text).toContain('TapDesk cannot ask for this pass');
    expect(olly.text).toContain('someone who reports to you in the company directory');
    // Hugo manages nobody, so he cannot ask for Nina either.
    const notTheirs = await s.click(hugo, 'requestNewHirePass', { newHireId: DEMO.users.nina });
    expect(notTheirs.text).toContain('TapDesk cannot ask for this pass');
    expect(await s.say(hugo, 'first device for a new hire')).toContain(
      'Nobody reports to you in the directory',
    );

    expect(await allRequests(s)).toEqual([]);
    expect(s.h.directory.callsTo('POST', TAP_POSTS)).toEqual([]);
    expect(await refusals(s)).toEqual([
      {
        actor: 'Maya Manager',
        action: 'new_hire_refused',
        reason: `${DEMO.users.olly} is not a direct report of Maya Manager in the directory`,
      },
      {
        actor: 'Hugo Helpdesk',
        action: 'new_hire_refused',
        reason: `${DEMO.users.nina} is not a direct report of Hugo Helpdesk in the directory`,
      },
    ]);
    // The directory is read at the click, not trusted from the card Maya was shown.
    s.h.directory.tenant.managers.delete(DEMO.users.nina);
    const moved = await s.click(maya, 'requestNewHirePass', { newHireId: DEMO.users.nina }, card);
    expect(moved.text).toContain('TapDesk cannot ask for this pass');
    expect(await allRequests(s)).toEqual([]);
  });

  it('takes a manager’s request for a new starter to a single-use pass that starts on the first day', async () => {
    s = await startScenario();
    const firstDay = isoDay(new Date(Date.now() + 3 * 24 * 60 * 60 * 1000));
    await s.say(maya, 'I need a first device for a new hire');
    const offer = await s.cardWith(maya, 'requestNewHirePass');
    const card = { conversationId: offer.conversationId, activityId: offer.activityId };
    const answer = await s.click(
      maya,
      'requestNewHirePass',
      { newHireId: DEMO.users.nina, startDate: firstDay },
      card,
    );
    expect(answer.text).toContain('First device for a new starter: Nina Newhire');
    expect(answer.text).toContain(
      "Your request counts as your confirmation that this is really Nina Newhire. A helpdesk agent checks Nina Newhire's photo ID and hands the pass over in person",
    );
    expect(verbsOf(answer.text)).toEqual([]);
    await s.settle();

    const [request] = await allRequests(s);
    expect(request).toMatchObject({
      kind: 'new_hire',
      requester: { id: DEMO.users.nina, name: 'Nina Newhire' },
      manager: { id: DEMO.users.maya, name: 'Maya Manager' },
      attestation: 'by_request',
      startsAt: `${firstDay}T08:00:00.000Z`,
      state: 'awaiting_verification',
      cards: { requester: card },
    });
    const requestId = request!.id;
    // Maya's ask is the attestation: no card asks her to confirm; the one she clicked follows it.
    expect((await s.chat(maya)).map((activity) => activity.id)).toEqual([card.activityId]);
    const submitted = (await s.h.bot.services.store.auditForRequest(requestId)).find(
      (e) => e.action === 'submitted',
    );
    expect(submitted?.actor.name).toBe('Maya Manager');

    const channel = s.channelCard();
    expect(channel.text).toContain('First device for a new starter: Nina Newhire');
    expect(channel.text).toContain('Maya Manager asked for this pass (counts as confirmation)');
    expect(channel.text).toContain('☐ Checked photo ID in person');
    // The manager who vouches cannot also do the helpdesk's check, even as a helpdesk member.
    s.h.directory.tenant.groups.get(DEMO.groups.helpdesk)!.members.add(DEMO.users.maya);
    const own = await s.click(
      maya,
      'toggleCheck',
      { requestId, check: 'identity', done: true },
      channel,
    );
    expect(own.text).toContain("As Nina Newhire's manager you vouch for this request");

    await s.click(hugo, 'toggleCheck', { requestId, check: 'identity', done: true }, channel);
    if (request!.flags.length > 0) await s.click(hugo, 'reviewFlags', { requestId }, channel);
    await s.settle();
    expect((await s.request(requestId)).state).toBe('awaiting_approval');
    expect((await s.click(hugo, 'approve', { requestId }, s.channelCard())).status).toBe(200);
    await s.settle();
    expect((await s.request(requestId)).state).toBe('pass_issued');

    const posts = s.h.directory.callsTo('POST', TAP_POSTS);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.path).toBe(
      `/users/${DEMO.users.nina}/authentication/temporaryAccessPassMethods`,
    );
    expect(posts[0]?.body).toMatchObject({
      isUsableOnce: true,
      startDateTime: `${firstDay}T08:00:00.000Z`,
    });

    const agentCard = await s.cardWith(hugo, 'deliver');
    expect(agentCard.text).toContain(s.h.directory.issuedPasses[0]);
    expect(agentCard.text).toContain(
      '"title":"Hand over","value":"In person, after checking photo ID"',
    );
    expect(agentCard.text).toContain('1. Meet Nina Newhire in person on {{DATE(');
    expect(agentCard.text).toContain(
      'check their photo ID against the account nina@contoso.example',
    );
    expect(agentCard.text).not.toContain('"title":"Call"');

    // The manager follows the request on her card; she cannot cancel or finish for Nina.
    const mayaCard = textOf(
      (await s.chat(maya)).find((activity) => activity.id === card.activityId),
    );
    expect(mayaCard).toContain('The pass for Nina Newhire is ready.');
    expect(mayaCard).toContain('meets the helpdesk agent in person with photo ID');
    expect(verbsOf(mayaCard)).toEqual([]);
    expect(mayaCard).not.toContain(s.h.directory.issuedPasses[0]);
    // Nina, who has no Teams yet, was never messaged.
    expect(s.h.directory.callsTo('POST', /\/users\/[^/]+\/teamwork\/installedApps$/)).not.toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: `/users/${DEMO.users.nina}/teamwork/installedApps` }),
      ]),
    );
    await expect(s.chatOf(nina)).rejects.toThrow();

    // Nina registers Microsoft Authenticator on her first day; the sweep closes the request.
    s.h.directory.tenant.methods.get(DEMO.users.nina)?.push({
      type: 'microsoftAuthenticator',
      id: 'e0000000-0000-4000-8000-0000000007a1',
      displayName: 'iPhone 15',
      deviceTag: 'SoftwareTokenActivated',
      phoneAppVersion: '6.8.20',
      createdDateTime: new Date(Date.now() + 1000).toISOString(),
    });
    await s.h.bot.sweep();
    await s.settle();
    expect((await s.request(requestId)).state).toBe('completed');
    expect(
      textOf((await s.chat(maya)).find((activity) => activity.id === card.activityId)),
    ).toContain('All done: Nina Newhire has Microsoft Authenticator registered');
  });
});
