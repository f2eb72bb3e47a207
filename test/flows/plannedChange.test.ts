/**
 * The planned phone change over HTTP (SPEC §2.2): a checklist tailored to the scenario and to
 * the methods the directory shows, ticks that survive a restart, the backup pass, the reminder,
 * and removing the old phone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatedMethod } from '../../src/demo/directoryEmulator.js';
import { DEMO } from '../../src/demo/tenantSeed.js';
import type { DeviceScenario } from '../../src/domain/runbooks.js';
import { dayText, isoDay } from '../../src/flows/plannedChange.js';
import type { Checklist } from '../../src/ports.js';
import {
  PEOPLE,
  startScenario,
  testClock,
  textOf,
  type CardAt,
  type ClickResult,
  type Scenario,
} from '../support/scenario.js';

const { ava, hugo } = PEOPLE;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Ava's current iPhone 12, as the demo tenant registers it. */
const OLD_PHONE_ID = 'e0000000-0000-4000-8000-000000000101';
const NEW_PHONE_ID = 'e0000000-0000-4000-8000-0000000001fe';
const TAP_POSTS = /^\/users\/[^/]+\/authentication\/temporaryAccessPassMethods$/;

const verbsOf = (text: string): string[] =>
  [...text.matchAll(/"verb":"(\w+)"/g)].map((match) => match[1] ?? '');

const progressOf = (text: string): string | undefined =>
  /"text":"((?:\d+ of \d+|All \d+) steps done\.?)"/.exec(text)?.[1];

function addMethod(s: Scenario, method: EmulatedMethod): void {
  s.h.directory.tenant.methods.get(DEMO.users.ava)?.push(method);
}

const phoneMethod: EmulatedMethod = {
  type: 'phone',
  id: '3179e48a-750b-4051-897c-87b9720928f1',
  phoneNumber: '+1 4255550142',
  phoneType: 'mobile',
};

/** Ava registers Microsoft Authenticator on the new phone, after she made her checklist. */
function registerNewPhone(s: Scenario): void {
  addMethod(s, {
    type: 'microsoftAuthenticator',
    id: NEW_PHONE_ID,
    displayName: 'iPhone 16',
    deviceTag: 'SoftwareTokenActivated',
    phoneAppVersion: '6.8.20',
    createdDateTime: new Date(Date.now() + 1000).toISOString(),
  });
}

interface Started {
  checklistId: string;
  answer: ClickResult;
  /** The card the checklist lives on (the ask card it replaced). */
  card: CardAt;
}

/** Ava says she is getting a new phone and submits the ask card. */
async function startChecklist(
  s: Scenario,
  scenario: DeviceScenario,
  plannedDate = '',
): Promise<Started> {
  await s.say(ava, "I'm getting a new phone");
  const ask = await s.cardWith(ava, 'startPlannedChange');
  const card = { conversationId: ask.conversationId, activityId: ask.activityId };
  const answer = await s.click(ava, 'startPlannedChange', { scenario, plannedDate }, card);
  expect(answer.status).toBe(200);
  await s.settle();
  const mine = await s.h.bot.services.store.listChecklistsByOwner(DEMO.users.ava);
  const checklistId = mine.at(-1)?.id;
  if (checklistId === undefined) throw new Error('The submit stored no checklist');
  expect(answer.text).toContain(`Checklist ${checklistId}`);
  return { checklistId, answer, card };
}

const checklist = async (s: Scenario, id: string): Promise<Checklist> => {
  const found = await s.h.bot.services.store.getChecklist(id);
  if (!found) throw new Error(`No checklist ${id}`);
  return found;
};

const daysFromNow = (days: number, from = new Date()) =>
  isoDay(new Date(from.getTime() + days * DAY_MS));

describe('planned phone change', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.close();
  });

  it('tailors the checklist to the device scenario and to the methods the directory shows', async () => {
    s = await startScenario();

    // Ava has only the Authenticator on her current iPhone: every scenario offers a backup pass.
    const personal = await startChecklist(s, 'personal_iphone');
    expect(personal.answer.text).toContain('My own iPhone (my personal Apple ID) · no date set');
    expect(personal.answer.text).toContain('iOS 16 or later');
    expect(personal.answer.text).toContain('Passwords and Keychain');
    expect(personal.answer.text).toContain('is your only way to approve sign-ins');
    expect(personal.answer.text).toContain('0 of 9 steps done');
    expect(personal.answer.text).toContain('iPhone 12 · added Saturday 2 March 2024');
    expect(verbsOf(personal.answer.text)).toContain('requestBackupPass');
    expect(verbsOf(personal.answer.text)).not.toContain('removeDevice');
    // Graph was read for the methods, and the checklist remembers what it was tailored with.
    expect(
      s.h.directory.callsTo('GET', /\/users\/[^/]+\/authentication\/methods$/).length,
    ).toBeGreaterThan(0);
    expect((await checklist(s, personal.checklistId)).meta).toMatchObject({
      scenario: 'personal_iphone',
      plannedDate: null,
      hasBackup: 'no',
    });

    const android = await startChecklist(s, 'android');
    expect(android.answer.text).toContain('personal Microsoft account');
    expect(android.answer.text).not.toContain('iCloud');
    expect(verbsOf(android.answer.text)).toContain('requestBackupPass');

    // With a phone number registered she has a backup: the card names it and offers no pass.
    addMethod(s, phoneMethod);
    const company = await startChecklist(s, 'company_iphone_personal_id');
    expect(company.answer.text).toContain('Make sure your other way to sign in still works: Phone');
    expect(company.answer.text).toContain('iCloud Keychain is blocked');
    expect(company.answer.text).toContain('0 of 6 steps done');
    expect(verbsOf(company.answer.text)).not.toContain('requestBackupPass');
    expect((await checklist(s, company.checklistId)).meta).toMatchObject({ hasBackup: 'yes' });

    const managed = await startChecklist(s, 'company_iphone_managed_id');
    expect(managed.answer.text).toContain('choose \\"Sign in another way\\" and use Phone');
    expect(verbsOf(managed.answer.text)).not.toContain('requestBackupPass');

    // Windows Hello alone cannot sign in during iPhone setup: a managed iPhone needs the pass.
    s.h.directory.tenant.methods.set(DEMO.users.ava, [
      ...(s.h.directory.tenant.methods.get(DEMO.users.ava) ?? []).filter((m) => m.type !== 'phone'),
      {
        type: 'windowsHelloForBusiness',
        id: 'e0000000-0000-4000-8000-0000000001aa',
        displayName: 'AVA-LAPTOP',
        createdDateTime: '2024-01-10T10:00:00Z',
      },
    ]);
    const helloOnly = await startChecklist(s, 'company_iphone_managed_id');
    expect(helloOnly.answer.text).toContain('sign in with the backup pass the helpdesk gave you');
    expect(verbsOf(helloOnly.answer.text)).toContain('requestBackupPass');
    const other = await startChecklist(s, 'other');
    expect(other.answer.text).toContain('Windows Hello for Business (AVA-LAPTOP)');
    expect(verbsOf(other.answer.text)).not.toContain('requestBackupPass');
  });

  it('asks again for a scenario or a date it cannot use, and stores nothing', async () => {
    s = await startScenario();
    await s.say(ava, 'changing my phone');
    const ask = await s.cardWith(ava, 'startPlannedChange');
    const card = { conversationId: ask.conversationId, activityId: ask.activityId };
    expect(ask.text).toContain('A company iPhone with a work (Managed) Apple ID');

    const noScenario = await s.click(ava, 'startPlannedChange', { plannedDate: '' }, card);
    expect(noScenario.text).toContain('Pick the kind of phone you are moving to.');
    const past = await s.click(
      ava,
      'startPlannedChange',
      { scenario: 'android', plannedDate: daysFromNow(-1) },
      card,
    );
    expect(past.text).toContain('That date has passed');
    const far = await s.click(
      ava,
      'startPlannedChange',
      { scenario: 'android', plannedDate: daysFromNow(200) },
      card,
    );
    expect(far.text).toContain('Pick a date within the next 90 days');
    expect(await s.h.bot.services.store.listChecklistsByOwner(DEMO.users.ava)).toEqual([]);

    // The same card submitted twice (a double click, a Teams retry) makes one checklist.
    const [first, second] = await Promise.all([
      s.click(ava, 'startPlannedChange', { scenario: 'android' }, card),
      s.click(ava, 'startPlannedChange', { scenario: 'android' }, card),
    ]);
    const lists = await s.h.bot.services.store.listChecklistsByOwner(DEMO.users.ava);
    expect(lists).toHaveLength(1);
    for (const answer of [first, second]) {
      expect(answer.text).toMatch(new RegExp(`Checklist ${lists[0]?.id}|already being made`));
    }

    // A guest registers their methods at home: no checklist for them.
    const guest = await s.click(PEOPLE.gail, 'startPlannedChange', { scenario: 'android' });
    expect(guest.text).toContain('Guest accounts register their sign-in methods');
    expect(await s.h.bot.services.store.listChecklistsByOwner(DEMO.users.gail)).toEqual([]);
  });

  it('keeps ticks through a restart and updates the card in place', async () => {
    s = await startScenario();
    const { checklistId, card } = await startChecklist(s, 'personal_iphone');
    const tick = (step: string, done: boolean) =>
      s.click(ava, 'tickStep', { checklistId, step, done }, card);

    const first = await tick('ios_version', true);
    expect(first.text).toContain('☑ On the old iPhone open Settings › General › About');
    expect(progressOf(first.text)).toBe('1 of 9 steps done');
    expect(verbsOf(first.text).filter((v) => v === 'tickStep')).toHaveLength(9);
    expect(progressOf((await tick('icloud_keychain', true)).text)).toBe('2 of 9 steps done');
    expect(progressOf((await tick('ios_version', false)).text)).toBe('1 of 9 steps done');
    // Cards may send "done" as a string; the same tick twice changes nothing more.
    expect(progressOf((await tick('icloud_keychain', 'true' as unknown as boolean)).text)).toBe(
      '1 of 9 steps done',
    );
    await s.settle();
    // The posted card itself was replaced, not a new message sent.
    const chat = await s.chat(ava);
    const posted = chat.find((activity) => activity.id === card.activityId);
    expect(progressOf(textOf(posted))).toBe('1 of 9 steps done');
    expect(chat.filter((activity) => textOf(activity).includes('"verb":"tickStep"'))).toHaveLength(
      1,
    );

    await s.h.restart();
    const afterRestart = await tick('ios_version', true);
    expect(afterRestart.text).toContain('☑ On the old iPhone open Settings › General › About');
    expect(afterRestart.text).toContain('☑ Still on the old iPhone');
    expect(progressOf(afterRestart.text)).toBe('2 of 9 steps done');
    const stored = await checklist(s, checklistId);
    expect(stored.done).toEqual({ ios_version: true, icloud_keychain: true });
    expect(stored.card).toEqual(card);
  });

  it('refuses ticks on someone else’s checklist, unknown steps and altered data, changing nothing', async () => {
    s = await startScenario();
    const { checklistId, card } = await startChecklist(s, 'android');
    const before = await checklist(s, checklistId);

    const stranger = await s.click(hugo, 'tickStep', { checklistId, step: 'restore', done: true });
    expect(stranger.text).toContain('This checklist belongs to someone else');
    expect(stranger.text).not.toContain('personal Microsoft account');
    const strangerRemove = await s.click(hugo, 'removeDevice', {
      checklistId,
      methodId: OLD_PHONE_ID,
    });
    expect(strangerRemove.text).toContain('This checklist belongs to someone else');
    const strangerPass = await s.click(hugo, 'requestBackupPass', { checklistId });
    expect(strangerPass.text).toContain('This checklist belongs to someone else');

    const unknownStep = await s.click(
      ava,
      'tickStep',
      { checklistId, step: 'wipe_everything', done: true },
      card,
    );
    expect(unknownStep.text).toContain(
      'That step is not on this checklist, so nothing was changed.',
    );
    const altered = await s.click(ava, 'tickStep', { checklistId: 'x', step: 'restore', done: 1 });
    expect(altered.text).toContain('its data is incomplete or was altered');
    const unknownList = await s.click(ava, 'tickStep', {
      checklistId: '5b1b7c52-9c43-4c43-9f39-1d9bfa2b3c4d',
      step: 'restore',
      done: true,
    });
    expect(unknownList.text).toContain('TapDesk has no checklist with this id');

    expect(await checklist(s, checklistId)).toEqual(before);
    expect(s.h.directory.tenant.methods.get(DEMO.users.ava)?.map((m) => m.id)).toContain(
      OLD_PHONE_ID,
    );
    const refusals = (
      await s.h.bot.services.store.auditBetween('1970-01-01T00:00:00Z', '2999-01-01T00:00:00Z')
    )
      .filter((e) => e.outcome === 'refused')
      .map((e) => `${e.actor.name} ${e.action}`);
    expect(refusals).toEqual([
      'Hugo Helpdesk tick_step',
      'Hugo Helpdesk remove_device',
      'Hugo Helpdesk request_backup_pass',
      'Ava Employee tick_step',
      'Ava Employee tickStep',
      'Ava Employee tick_step',
    ]);
  });

  it('gets a backup pass through verification and approval, starting on the change day, single use', async () => {
    s = await startScenario();
    const day = daysFromNow(5);
    const { checklistId, answer, card } = await startChecklist(s, 'personal_iphone', day);
    expect(answer.text).toContain(`switching on ${dayText(day)}`);
    expect(answer.text).toContain(
      `No backup method: ask for a backup pass that starts on ${dayText(day)} at 08:00 UTC.`,
    );

    // A double click asks once.
    const clicks = await Promise.all([
      s.click(ava, 'requestBackupPass', { checklistId }, card),
      s.click(ava, 'requestBackupPass', { checklistId }, card),
    ]);
    await s.settle();
    const requests = await s.h.bot.services.store.listRequestsByRequester(
      DEMO.users.ava,
      '1970-01-01T00:00:00Z',
    );
    expect(requests).toHaveLength(1);
    const request = requests[0]!;
    expect(request).toMatchObject({
      kind: 'backup_pass',
      startsAt: `${day}T08:00:00.000Z`,
      attestation: 'pending',
      manager: { name: 'Maya Manager' },
    });
    expect(request.reason).toContain('My own iPhone (my personal Apple ID)');
    const texts = clicks.map((click) => click.text);
    expect(
      texts.filter((t) => t.includes('Backup pass requested. The helpdesk verifies you')),
    ).toHaveLength(1);
    expect(texts.filter((t) => t.includes('already requested'))).toHaveLength(1);
    expect((await checklist(s, checklistId)).meta['backupRequest']).toBe(request.id);

    // Ava's status card is a new message in her chat; the checklist stays where it was.
    const status = await s.cardWith(ava, 'cancelRequest');
    expect(status.activityId).not.toBe(card.activityId);
    expect(status.text).toContain('Backup pass for a phone change');
    expect(request.cards.requester).toEqual({
      conversationId: status.conversationId,
      activityId: status.activityId,
    });
    expect(s.channelCard().text).toContain('Backup pass for a phone change: Ava Employee');

    await s.verify(request.id);
    const approved = await s.click(hugo, 'approve', { requestId: request.id }, s.channelCard());
    expect(approved.status).toBe(200);
    await s.settle();
    expect((await s.request(request.id)).state).toBe('pass_issued');

    const posts = s.h.directory.callsTo('POST', TAP_POSTS);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.path).toBe(
      `/users/${DEMO.users.ava}/authentication/temporaryAccessPassMethods`,
    );
    expect(posts[0]?.body).toMatchObject({
      isUsableOnce: true,
      startDateTime: `${day}T08:00:00.000Z`,
    });
    const tap = s.h.directory.tenant.methods
      .get(DEMO.users.ava)
      ?.find((m) => m.type === 'temporaryAccessPass');
    expect(tap).toMatchObject({ startDateTime: `${day}T08:00:00.000Z`, isUsableOnce: true });

    const agentCard = await s.cardWith(hugo, 'deliver');
    expect(agentCard.text).toContain('"title":"Valid from","value":"{{DATE(');
    expect(agentCard.text).toContain(`${day}T08:00:00Z`);
    expect((await s.cardWith(ava, 'finishRecovery')).text).toContain('It works once, from {{DATE(');

    const refreshed = await s.click(
      ava,
      'tickStep',
      { checklistId, step: 'backup_pass', done: true },
      card,
    );
    expect(refreshed.text).toContain('Backup pass requested: pass created, not yet handed over.');
    expect(verbsOf(refreshed.text)).not.toContain('requestBackupPass');
  });

  it('reminds the person once, the day before the planned date, however many sweeps run', async () => {
    const clock = testClock();
    s = await startScenario({ now: clock.now });
    const day = daysFromNow(3, clock.now());
    const { checklistId } = await startChecklist(s, 'android', day);
    await startChecklist(s, 'android', daysFromNow(10, clock.now()));
    const reminders = async () =>
      (await s.chat(ava)).filter((a) => textOf(a).includes('Reminder: you switch phones tomorrow'));

    await s.h.bot.sweep();
    expect(await reminders()).toHaveLength(0);

    clock.advance(2 * 24 * 60);
    await Promise.all([s.h.bot.sweep(), s.h.bot.sweep(), s.h.bot.sweep()]);
    await s.settle();
    const sent = await reminders();
    expect(sent).toHaveLength(1);
    expect(textOf(sent[0])).toContain(`Reminder: you switch phones tomorrow, ${dayText(day)}.`);
    expect(textOf(sent[0])).toContain(`Checklist ${checklistId}`);
    // The reminder is the checklist now: ticks there update it.
    expect((await checklist(s, checklistId)).card?.activityId).toBe(sent[0]?.id);

    clock.advance(60);
    await s.h.bot.sweep();
    await s.h.restart();
    clock.advance(60);
    await s.h.bot.sweep();
    expect(await reminders()).toHaveLength(1);
  });

  it('removes the old Authenticator only once a new one is registered, and never the last way in', async () => {
    s = await startScenario();
    const { checklistId, answer, card } = await startChecklist(s, 'personal_iphone');
    expect(answer.text).toContain(
      'Once Microsoft Authenticator is registered on the new phone, you can remove the old one here.',
    );
    const remove = (methodId: string) =>
      s.click(ava, 'removeDevice', { checklistId, methodId }, card);
    const deletes = () =>
      s.h.directory.callsTo('DELETE', /\/authentication\/microsoftAuthenticatorMethods\//);

    const last = await remove(OLD_PHONE_ID);
    expect(last.text).toContain(
      'That is the last way you can approve sign-ins, so TapDesk will not remove it',
    );
    addMethod(s, phoneMethod);
    const tooEarly = await remove(OLD_PHONE_ID);
    expect(tooEarly.text).toContain('Register Microsoft Authenticator on the new phone first');
    expect(deletes()).toHaveLength(0);

    registerNewPhone(s);
    const wrongOne = await remove(NEW_PHONE_ID);
    expect(wrongOne.text).toContain('That is your new phone. TapDesk only removes the old one.');
    expect(wrongOne.text).toContain('iPhone 16 · added');
    expect(wrongOne.text).toContain(
      `"verb":"removeDevice","data":{"checklistId":"${checklistId}","methodId":"${OLD_PHONE_ID}"}`,
    );
    expect(wrongOne.text).not.toContain(`"methodId":"${NEW_PHONE_ID}"`);

    const removed = await remove(OLD_PHONE_ID);
    expect(removed.text).toContain('Removed iPhone 12 from your account.');
    expect(removed.text).toContain('Only the new phone is registered: nothing left to remove.');
    expect(removed.text).toContain(
      '☑ Remove the old phone from your account with its Remove button below',
    );
    expect(deletes()).toHaveLength(1);
    expect(deletes()[0]?.path).toBe(
      `/users/${DEMO.users.ava}/authentication/microsoftAuthenticatorMethods/${OLD_PHONE_ID}`,
    );
    expect(s.h.directory.tenant.methods.get(DEMO.users.ava)?.map((m) => m.id)).not.toContain(
      OLD_PHONE_ID,
    );
    expect((await checklist(s, checklistId)).done).toEqual({ remove_old: true });

    const again = await remove(OLD_PHONE_ID);
    expect(again.text).toContain(
      'That device is not one of the Microsoft Authenticator devices on this account',
    );
    expect(deletes()).toHaveLength(1);
    const audited = (
      await s.h.bot.services.store.auditBetween('1970-01-01T00:00:00Z', '2999-01-01T00:00:00Z')
    )
      .filter((e) => e.action === 'old_device_removed' || e.action === 'remove_device')
      .map((e) => `${e.action} ${e.outcome}`);
    expect(audited).toEqual([
      'remove_device refused',
      'remove_device refused',
      'remove_device refused',
      'old_device_removed ok',
      'remove_device refused',
    ]);
  });
});
