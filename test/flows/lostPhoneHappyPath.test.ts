/**
 * The lost-phone flow end to end over HTTP (SPEC §2.1): what the requester, the manager, the
 * helpdesk channel and the approving agent each see at every step, then completion.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatedMethod } from '../../src/demo/directoryEmulator.js';
import { DEMO } from '../../src/demo/tenantSeed.js';
import { HELPDESK_CHANNEL } from '../support/activities.js';
import { PEOPLE, startScenario, textOf, type Scenario } from '../support/scenario.js';

const { ava, maya, hugo } = PEOPLE;
/** Ava's lost iPhone 12, as the demo tenant registers it. */
const OLD_PHONE_ID = 'e0000000-0000-4000-8000-000000000101';
const NEW_PHONE_ID = 'e0000000-0000-4000-8000-0000000001ff';
const TAP_PATH = /^\/users\/[^/]+\/authentication\/temporaryAccessPassMethods/;

const verbsOf = (text: string): string[] =>
  [...text.matchAll(/"verb":"(\w+)"/g)].map((match) => match[1] ?? '');

/** Ava registers Microsoft Authenticator on her new phone, the way Graph would record it. */
function registerNewPhone(s: Scenario): void {
  const method: EmulatedMethod = {
    type: 'microsoftAuthenticator',
    id: NEW_PHONE_ID,
    displayName: 'Pixel 9',
    deviceTag: 'SoftwareTokenActivated',
    phoneAppVersion: '6.2409.6094',
    createdDateTime: new Date(Date.now() + 1000).toISOString(),
  };
  s.h.directory.tenant.methods.get(DEMO.users.ava)?.push(method);
}

const methodIdsOf = (s: Scenario, userId: string): string[] =>
  (s.h.directory.tenant.methods.get(userId) ?? []).map((m) => m.id);

const tapsOf = (s: Scenario, userId: string) =>
  (s.h.directory.tenant.methods.get(userId) ?? []).filter((m) => m.type === 'temporaryAccessPass');

describe('lost phone, happy path', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.close();
  });

  it('takes Ava from "I lost my phone" to a new authenticator, each role seeing the right card', async () => {
    s = await startScenario();

    // 1. The offer says what will happen, with Submit; 2. Submit turns it into her status card.
    const { requestId, offer, answer, card } = await s.submitLostPhone(ava);
    expect(offer).toContain('Maya Manager, your manager in the directory');
    expect(offer).toContain('ending in 42');
    expect(verbsOf(offer)).toEqual(['submitLostPhone', 'dismissOffer']);
    expect(answer.text).toContain('Status: Submitted');
    expect(answer.text).toContain('the number ending in 42');
    const avaChat = await s.chatOf(ava);
    expect(s.h.connector.conversation(avaChat)).toHaveLength(1);
    const avaCard = () => textOf(s.h.connector.conversation(avaChat)[0]);
    expect(s.h.connector.conversation(avaChat)[0]?.id).toBe(card.activityId);
    expect(avaCard()).toContain('Status: Waiting for verification');
    expect(avaCard()).toContain(
      "Maya Manager, your manager, has been asked to confirm it's really you",
    );
    expect(avaCard()).toContain('a helpdesk agent will call you at the number ending in 42');
    expect(verbsOf(avaCard())).toEqual(['cancelRequest']);

    // Maya had never opened TapDesk: it was installed for her through Graph to reach her 1:1.
    expect(s.h.directory.callsTo('POST', /\/users\/[^/]+\/teamwork\/installedApps$/)).toEqual([
      expect.objectContaining({ path: `/users/${DEMO.users.maya}/teamwork/installedApps` }),
    ]);
    const mayaCard = await s.cardWith(maya, 'attestConfirm');
    expect(mayaCard.text).toContain('Is this really Ava Employee?');
    expect(mayaCard.text).toContain('on a video call or in person');
    expect(verbsOf(mayaCard.text)).toEqual(['attestConfirm', 'attestCannot', 'attestSuspicious']);

    const channel = s.channelCard();
    expect(channel.text).toContain('Lost or broken phone: Ava Employee');
    expect(channel.text).toContain('"title":"Number on file","value":"+1 425 555 0142"');
    expect(channel.text).toContain('Microsoft Authenticator (iPhone 12)');
    expect(channel.text).toContain('Maya Manager: not answered yet');
    expect(channel.text).toContain('☐ Called the number on file and spoke to the person');
    expect(channel.text).toContain(
      'Waiting for Maya Manager to confirm it is really Ava Employee.',
    );
    expect(verbsOf(channel.text)).toEqual(
      expect.arrayContaining(['toggleCheck', 'assign', 'approve', 'deny']),
    );

    // Approve is refused until every check is done.
    const early = await s.click(hugo, 'approve', { requestId }, channel);
    expect(early.text).toContain('Not ready to approve yet.');
    expect((await s.request(requestId)).state).toBe('awaiting_verification');

    // 3. Maya confirms; the channel card says so.
    const confirmed = await s.click(maya, 'attestConfirm', { requestId }, mayaCard);
    expect(confirmed.text).toContain("You answered: confirmed it's them.");
    expect(verbsOf(confirmed.text)).toEqual([]);
    await s.settle();
    expect(s.channelCard().text).toContain("Maya Manager: confirmed it's them");

    // 4. Hugo calls the number on file and asks the identity questions.
    for (const check of ['callback', 'identity']) {
      const ticked = await s.click(hugo, 'toggleCheck', { requestId, check, done: true }, channel);
      expect(ticked.status).toBe(200);
    }
    await s.settle();
    expect(s.channelCard().text).toContain('☑ Called the number on file and spoke to the person');
    expect(s.channelCard().text).toContain('☑ Asked the identity questions');
    expect(s.channelCard().text).toContain('Waiting for approval');
    expect(avaCard()).toContain('You have been verified.');

    // 5. Approve: the pass goes to Hugo's 1:1 chat only.
    const approved = await s.click(hugo, 'approve', { requestId }, channel);
    expect(approved.text).toContain('Approved, creating the pass');
    await s.settle();
    const pass = s.h.directory.issuedPasses[0]!;
    expect(s.h.directory.issuedPasses).toHaveLength(1);
    const tapCall = s.h.directory.callsTo('POST', TAP_PATH)[0];
    expect(tapCall?.body).toMatchObject({ isUsableOnce: true });

    const agentCard = await s.cardWith(hugo, 'deliver');
    expect(agentCard.conversationId).not.toContain(HELPDESK_CHANNEL);
    expect(agentCard.text).toContain('Pass for Ava Employee');
    expect(agentCard.text).toContain(pass);
    expect(agentCard.text).toContain('"title":"Call","value":"+1 425 555 0142"');
    expect(agentCard.text).toContain('Never call a number given in chat.');
    expect(verbsOf(agentCard.text)).toEqual(['deliver', 'revoke']);

    expect(s.channelCard().text).toContain('Pass created, not yet handed over');
    expect(s.channelCard().text).toContain('"title":"Approved by","value":"Hugo Helpdesk"');
    expect(s.channelCard().text).not.toContain(pass);
    expect(verbsOf(s.channelCard().text)).toEqual([]);
    expect(avaCard()).toContain('A helpdesk agent will call you at the number ending in 42');
    expect(avaCard()).toContain('Never share it with anyone');
    expect(avaCard()).toContain('Microsoft Authenticator and set it up on your new phone');
    expect(verbsOf(avaCard())).toEqual(['finishRecovery']);

    // Hugo reads the pass out and presses Delivered: his card stops showing it.
    const delivered = await s.click(hugo, 'deliver', { requestId }, agentCard);
    expect(delivered.text).toContain('The pass is no longer shown: you marked it delivered');
    expect(delivered.text).not.toContain(pass);
    await s.settle();
    expect(textOf(s.h.connector.conversation(agentCard.conversationId))).not.toContain(pass);
    expect(s.channelCard().text).toContain('Pass handed over');
    expect(avaCard()).toContain('You have your pass.');

    // "I'm done" before the new phone is registered: Graph is checked, nothing closes.
    const tooSoon = await s.click(ava, 'finishRecovery', { requestId }, card);
    expect(tooSoon.text).toContain(
      "I don't see a new Microsoft Authenticator on your account yet.",
    );
    expect((await s.request(requestId)).state).toBe('delivered');

    // 6. Completion: the new phone is registered, the pass is deleted, the old phone offered.
    registerNewPhone(s);
    expect(tapsOf(s, DEMO.users.ava)).toHaveLength(1);
    const done = await s.click(ava, 'finishRecovery', { requestId }, card);
    expect(done.text).toContain('Status: Completed');
    expect(done.text).toContain('Remove iPhone 12');
    expect((await s.request(requestId)).state).toBe('completed');
    expect(tapsOf(s, DEMO.users.ava)).toEqual([]);
    expect(s.h.directory.callsTo('DELETE', TAP_PATH)).toHaveLength(1);
    await s.settle();
    expect(avaCard()).toContain('All done');
    expect(s.channelCard().text).toContain('Completed');

    const removed = await s.click(
      ava,
      'removeOldDevice',
      { requestId, methodId: OLD_PHONE_ID },
      card,
    );
    expect(removed.text).toContain('Removed iPhone 12.');
    expect(removed.text).not.toContain('removeOldDevice');
    expect(methodIdsOf(s, DEMO.users.ava)).not.toContain(OLD_PHONE_ID);
    expect(methodIdsOf(s, DEMO.users.ava)).toContain(NEW_PHONE_ID);
    await s.settle();
    expect(verbsOf(avaCard())).toEqual([]);
    const trail = (await s.h.bot.services.store.auditForRequest(requestId)).map((e) => e.action);
    expect(trail).toEqual(
      expect.arrayContaining([
        'submitted',
        'manager_confirmed',
        'approved',
        'pass_issued',
        'pass_delivered',
        'completed',
        'old_device_removed',
      ]),
    );

    // The helpdesk channel got one card for the request, only ever updated in place.
    const channelCalls = s.h.connector.log.filter(
      (e) => e.conversationId === channel.conversationId,
    );
    expect(channelCalls.filter((e) => e.op === 'create')).toHaveLength(1);
    expect(channelCalls.filter((e) => e.op !== 'create').every((e) => e.op === 'update')).toBe(
      true,
    );
    expect(new Set(channelCalls.map((e) => e.activityId))).toEqual(new Set([channel.activityId]));
    expect(
      s.h.connector.log.filter((e) => e.conversationId.startsWith(HELPDESK_CHANNEL)),
    ).toHaveLength(channelCalls.length);
  });

  it('completes on its own when the periodic check finds the new authenticator', async () => {
    s = await startScenario();
    const { requestId, agentCard } = await s.issuePass();
    await s.click(hugo, 'deliver', { requestId }, agentCard);
    await s.h.bot.sweep();
    expect((await s.request(requestId)).state).toBe('delivered');

    registerNewPhone(s);
    await s.h.bot.sweep();
    await s.settle();

    const request = await s.request(requestId);
    expect(request.state).toBe('completed');
    expect(tapsOf(s, DEMO.users.ava)).toEqual([]);
    const avaCard = textOf((await s.chat(ava))[0]);
    expect(avaCard).toContain('All done');
    expect(avaCard).toContain('Remove iPhone 12');
    const completedBy = (await s.h.bot.services.store.auditForRequest(requestId)).find(
      (e) => e.action === 'completed',
    );
    expect(completedBy?.actor.id).toBe('system');
  });

  it('refuses to remove the old phone when that would leave no way to approve sign-ins', async () => {
    s = await startScenario();
    const { requestId } = await s.issuePass();
    const statusCard = await s.cardWith(ava, 'finishRecovery');
    registerNewPhone(s);
    const done = await s.click(ava, 'finishRecovery', { requestId }, statusCard);
    expect(done.text).toContain('Remove iPhone 12');

    // Ava removed the new phone again herself before pressing Remove.
    const methods = s.h.directory.tenant.methods.get(DEMO.users.ava)!;
    methods.splice(
      methods.findIndex((m) => m.id === NEW_PHONE_ID),
      1,
    );
    const refused = await s.click(
      ava,
      'removeOldDevice',
      { requestId, methodId: OLD_PHONE_ID },
      statusCard,
    );
    expect(refused.text).toContain('That is the last way you can approve sign-ins');
    expect(methodIdsOf(s, DEMO.users.ava)).toContain(OLD_PHONE_ID);
    expect(s.h.directory.callsTo('DELETE', /microsoftAuthenticatorMethods/)).toHaveLength(0);
    const audit = await s.h.bot.services.store.auditForRequest(requestId);
    expect(audit.at(-1)).toMatchObject({ action: 'remove_old_device', outcome: 'refused' });
  });
});
