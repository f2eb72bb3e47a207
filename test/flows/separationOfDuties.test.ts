/**
 * SPEC §4.2: requester, attesting manager and approving agent are three different people, and
 * roles come from the directory at the moment of the click. A refused click answers with the
 * clicked card and the reason on top when the clicker may see that card (else only that nothing
 * changed), leaves an audit event, and changes nothing.
 */
import { NOT_YOURS } from '../../src/flows/actOnRequest.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { From } from '../support/activities.js';
import { DEMO } from '../../src/demo/tenantSeed.js';
import { PEOPLE, startScenario, type CardAt, type Scenario } from '../support/scenario.js';

const { ava, maya, hugo, sam, nina } = PEOPLE;
const TAP_POSTS = /^\/users\/[^/]+\/authentication\/temporaryAccessPassMethods$/;

/** Which card a refused click must come back as, told by its title. */
const CARD_TITLES = {
  channel: 'Lost or broken phone: Ava Employee',
  manager: 'Is this really Ava Employee?',
  requester: 'Lost or broken phone',
} as const;

interface Attempt {
  who: From;
  verb: string;
  data?: Record<string, unknown>;
  on: keyof typeof CARD_TITLES;
  /** The audit action of the refused event. */
  action: string;
  reason: RegExp;
}

function bodyOf(
  text: string,
): { type?: string; style?: string; text?: string; items?: { text?: string }[] }[] {
  return (JSON.parse(text) as { value: { body: [] } }).value.body;
}

describe('separation of duties', () => {
  let s: Scenario;
  let requestId: string;
  let cards: Record<keyof typeof CARD_TITLES, CardAt>;

  beforeAll(async () => {
    s = await startScenario();
    ({ requestId } = await s.submitLostPhone());
    // Verified and ready: from here only the rules about who may act can stop an approval.
    await s.verify(requestId);
    const mayaChat = await s.chatOf(maya);
    const mayaCard = s.h.connector.conversation(mayaChat)[0]!;
    const avaChat = await s.chatOf(ava);
    cards = {
      channel: s.channelCard(),
      manager: { conversationId: mayaChat, activityId: mayaCard.id! },
      requester: {
        conversationId: avaChat,
        activityId: s.h.connector.conversation(avaChat)[0]!.id!,
      },
    };
  });
  afterAll(async () => {
    await s.close();
  });

  /** Clicks, then checks the refusal card, the audit event and that nothing moved. */
  async function expectRefused(attempt: Attempt): Promise<void> {
    const before = await s.request(requestId);
    const sent = s.h.connector.log.length;
    const audited = (await s.h.bot.services.store.auditForRequest(requestId)).length;
    const taps = s.h.directory.callsTo('POST', TAP_POSTS).length;

    // Only the owner of a 1:1 chat clicks in it; anyone else sends a copied card from their own.
    const owner = { channel: undefined, manager: maya, requester: ava }[attempt.on];
    const where = owner !== undefined && attempt.who !== owner ? undefined : cards[attempt.on];
    const answer = await s.click(attempt.who, attempt.verb, { requestId, ...attempt.data }, where);
    await s.settle();

    expect(answer.status).toBe(200);
    const body = bodyOf(answer.text);
    // Only someone who may see the card gets it back with the reason on top; anyone else learns
    // that nothing changed and why, but nothing about the request.
    const isAgent = s.h.directory.tenant.groups
      .get(DEMO.groups.helpdesk)!
      .members.has(attempt.who.aadObjectId);
    const isSecurity = s.h.directory.tenant.groups
      .get(DEMO.groups.security)!
      .members.has(attempt.who.aadObjectId);
    const sees = {
      channel: isAgent || isSecurity,
      manager: attempt.who === maya,
      requester: attempt.who === ava || isAgent,
    }[attempt.on];
    if (sees) {
      expect(body[0]).toMatchObject({ type: 'Container', style: 'warning' });
      expect(body[0]?.items?.[0]?.text).toMatch(attempt.reason);
      expect(body[1]?.text).toBe(CARD_TITLES[attempt.on]);
    } else {
      expect(body[0]?.text).toBe('Nothing was changed');
      expect(body[1]?.text).toBe(NOT_YOURS);
      expect(answer.text).not.toContain('555 0142');
      expect(answer.text).not.toContain('ava@contoso.example');
    }

    const events = (await s.h.bot.services.store.auditForRequest(requestId)).slice(audited);
    expect(events).toEqual([
      expect.objectContaining({
        actor: { id: attempt.who.aadObjectId, name: attempt.who.name },
        action: attempt.action,
        outcome: 'refused',
        reason: expect.stringMatching(attempt.reason),
      }),
    ]);
    const after = await s.request(requestId);
    expect(after.etag).toBe(before.etag);
    expect(after).toEqual(before);
    expect(s.h.connector.log.length).toBe(sent);
    expect(s.h.directory.callsTo('POST', TAP_POSTS)).toHaveLength(taps);
  }

  const onlyHelpdesk = (what: string) => new RegExp(`^Only helpdesk agents can ${what}\\.$`);
  const onlyMaya =
    /^Only Maya Manager, Ava Employee's manager in the directory, can answer this\.$/;

  it.each<Attempt>([
    {
      who: nina,
      verb: 'approve',
      on: 'channel',
      action: 'approve',
      reason: onlyHelpdesk('approve'),
    },
    {
      who: nina,
      verb: 'toggleCheck',
      data: { check: 'callback', done: false },
      on: 'channel',
      action: 'tick',
      reason: onlyHelpdesk('tick verification checks'),
    },
    {
      who: sam,
      verb: 'approve',
      on: 'channel',
      action: 'approve',
      reason: onlyHelpdesk('approve'),
    },
    { who: nina, verb: 'attestSuspicious', on: 'manager', action: 'attest', reason: onlyMaya },
    { who: hugo, verb: 'attestCannot', on: 'manager', action: 'attest', reason: onlyMaya },
  ])('$who.name may not $verb: not their role', async (attempt) => {
    await expectRefused(attempt);
  });

  it.each<Attempt>([
    {
      who: ava,
      verb: 'approve',
      on: 'channel',
      action: 'approve',
      reason: /^You cannot approve on your own request; another agent must\.$/,
    },
    {
      who: ava,
      verb: 'toggleCheck',
      data: { check: 'identity', done: false },
      on: 'channel',
      action: 'tick',
      reason: /^You cannot tick verification checks on your own request/,
    },
    {
      who: ava,
      verb: 'attestCannot',
      on: 'manager',
      action: 'attest',
      reason: /^You cannot confirm your own identity\.$/,
    },
  ])('the requester may not $verb her own request', async (attempt) => {
    await expectRefused(attempt);
  });

  it.each<Attempt>([
    {
      who: maya,
      verb: 'approve',
      on: 'channel',
      action: 'approve',
      reason:
        /^As Ava Employee's manager you vouch for this request, so another agent must approve\.$/,
    },
    {
      who: maya,
      verb: 'toggleCheck',
      data: { check: 'callback', done: false },
      on: 'channel',
      action: 'tick',
      reason: /so another agent must tick verification checks\.$/,
    },
    {
      who: maya,
      verb: 'attestCannot',
      on: 'manager',
      action: 'attest',
      reason: /^Maya Manager already answered for this request \(confirmed\)\.$/,
    },
  ])('the attesting manager may not $verb', async (attempt) => {
    await expectRefused(attempt);
  });

  it('an agent removed from the helpdesk group since yesterday can no longer approve', async () => {
    const helpdesk = s.h.directory.tenant.groups.get(DEMO.groups.helpdesk)!;
    helpdesk.members.delete(DEMO.users.hugo);
    try {
      await expectRefused({
        who: hugo,
        verb: 'approve',
        on: 'channel',
        action: 'approve',
        reason: onlyHelpdesk('approve'),
      });
    } finally {
      helpdesk.members.add(DEMO.users.hugo);
    }
  });

  it('the manager cannot approve her report’s request even as a helpdesk member', async () => {
    s.h.directory.tenant.groups.get(DEMO.groups.helpdesk)!.members.add(DEMO.users.maya);
    await expectRefused({
      who: maya,
      verb: 'approve',
      on: 'channel',
      action: 'approve',
      reason:
        /^As Ava Employee's manager you vouch for this request, so another agent must approve\.$/,
    });
    // The same request is approvable by an agent who is not a party to it.
    const approved = await s.click(hugo, 'approve', { requestId }, cards.channel);
    expect(approved.text).toContain('Approved, creating the pass');
    await s.settle();
    expect(s.h.directory.callsTo('POST', TAP_POSTS)).toHaveLength(1);
    expect((await s.request(requestId)).approver?.id).toBe(DEMO.users.hugo);
    expect((await s.cardWith(hugo, 'deliver')).text).toContain(s.h.directory.issuedPasses[0]);
  });

  it('someone else pressing "I\'m done" on her request is refused and audited before Graph is asked', async () => {
    expect((await s.request(requestId)).state).toBe('pass_issued');
    const reads = () => s.h.directory.callsTo('GET', /\/authentication\/methods$/).length;
    const readsBefore = reads();
    await expectRefused({
      who: nina,
      verb: 'finishRecovery',
      on: 'requester',
      action: 'complete',
      reason: /^Only Ava Employee or a helpdesk agent can complete this request\.$/,
    });
    expect(reads()).toBe(readsBefore);

    // Ava herself, before registering the new phone, is told what is missing; that is on record.
    await expectRefused({
      who: ava,
      verb: 'finishRecovery',
      on: 'requester',
      action: 'complete',
      reason: /^I don't see a new Microsoft Authenticator on your account yet\./,
    });
  });
});
