/**
 * SPEC §3: a pass is created at most once per approval, whatever is clicked twice, replayed by
 * Teams or raced by two agents; and one Submit makes one request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { invoke } from '../support/activities.js';
import { PEOPLE, startScenario, textOf, type Scenario } from '../support/scenario.js';

const { ava, hugo, hana } = PEOPLE;
const TAP_POSTS = /^\/users\/[^/]+\/authentication\/temporaryAccessPassMethods$/;

/** The invoke answer's banner: the reason a click changed nothing ('' when it did change). */
function bannerOf(text: string): string {
  const body = (JSON.parse(text) as { value?: { body?: unknown[] } }).value?.body ?? [];
  const first = body[0] as { type?: string; style?: string; items?: { text?: string }[] };
  return first?.type === 'Container' && first.style === 'warning'
    ? (first.items?.[0]?.text ?? '')
    : '';
}

describe('exactly once', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.close();
  });

  const readyRequest = async (): Promise<string> => {
    const { requestId } = await s.submitLostPhone();
    await s.verify(requestId);
    return requestId;
  };

  const tapPosts = () => s.h.directory.callsTo('POST', TAP_POSTS);

  it('a double click on Approve creates one pass and tells the second click who approved', async () => {
    s = await startScenario();
    const requestId = await readyRequest();
    const channel = s.channelCard();
    const answers = await Promise.all([
      s.click(hugo, 'approve', { requestId }, channel),
      s.click(hugo, 'approve', { requestId }, channel),
    ]);
    await s.settle();

    expect(tapPosts()).toHaveLength(1);
    expect(s.h.directory.issuedPasses).toHaveLength(1);
    const banners = answers.map((answer) => bannerOf(answer.text));
    expect(banners.filter((banner) => banner === '')).toHaveLength(1);
    expect(banners.find((banner) => banner !== '')).toMatch(
      /^Hugo Helpdesk already approved this request/,
    );
    expect((await s.cardWith(hugo, 'deliver')).text).toContain(s.h.directory.issuedPasses[0]);
    expect(textOf(await s.chat(hugo)).match(/"verb":"deliver"/g)).toHaveLength(1);
  });

  it('the same approve invoke replayed later creates no second pass', async () => {
    s = await startScenario();
    const requestId = await readyRequest();
    const channel = s.channelCard();
    const click = invoke('approve', { requestId }, hugo, {
      serviceUrl: s.h.connector.url,
      conversationId: channel.conversationId,
      replyToId: channel.activityId,
      channel: true,
    });
    const first = await s.h.post(click);
    await s.settle();
    const replayed = await s.h.post(click);
    await s.settle();

    expect(bannerOf(textOf(first.body))).toBe('');
    expect(bannerOf(textOf(replayed.body))).toBe(
      'Hugo Helpdesk already approved this request and the pass was created.',
    );
    expect(tapPosts()).toHaveLength(1);
    expect(s.h.directory.issuedPasses).toHaveLength(1);
    expect((await s.request(requestId)).state).toBe('pass_issued');
  });

  it('two agents approving at the same moment create one pass; the other is told who won', async () => {
    s = await startScenario();
    const requestId = await readyRequest();
    const channel = s.channelCard();
    const [byHugo, byHana] = await Promise.all([
      s.click(hugo, 'approve', { requestId }, channel),
      s.click(hana, 'approve', { requestId }, channel),
    ]);
    await s.settle();

    expect(tapPosts()).toHaveLength(1);
    const request = await s.request(requestId);
    expect(request.state).toBe('pass_issued');
    const winner = request.approver?.name;
    expect(['Hugo Helpdesk', 'Hana Helpdesk']).toContain(winner);
    const loser = winner === 'Hugo Helpdesk' ? byHana : byHugo;
    const won = winner === 'Hugo Helpdesk' ? byHugo : byHana;
    expect(bannerOf(won.text)).toBe('');
    expect(bannerOf(loser.text)).toMatch(new RegExp(`^${winner} already approved this request`));

    // Only the winner's chat got the pass.
    const pass = s.h.directory.issuedPasses[0]!;
    const withPass = [...new Set(s.h.connector.log.map((e) => e.conversationId))].filter((id) =>
      s.h.connector.textOf(id).includes(pass),
    );
    expect(withPass).toEqual([await s.chatOf(winner === 'Hugo Helpdesk' ? hugo : hana)]);
  });

  it('a double Submit on the same offer makes one request', async () => {
    s = await startScenario();
    await s.say(ava, 'I lost my phone');
    const offer = await s.cardWith(ava, 'submitLostPhone');
    const answers = await Promise.all([
      s.click(ava, 'submitLostPhone', {}, offer),
      s.click(ava, 'submitLostPhone', {}, offer),
    ]);
    await s.settle();

    const requests = await s.h.bot.services.store.listRequestsSince('1970-01-01T00:00:00Z');
    expect(requests).toHaveLength(1);
    expect(answers.filter((a) => a.text.includes('Already submitted'))).toHaveLength(1);
    expect(answers.filter((a) => a.text.includes('Status: Submitted'))).toHaveLength(1);
    s.channelCard();
    expect(
      (await s.h.bot.services.store.auditForRequest(requests[0]!.id)).filter(
        (e) => e.action === 'submitted',
      ),
    ).toHaveLength(1);
  });

  it('Submit on two different offer cards at once makes one request', async () => {
    s = await startScenario();
    await s.say(ava, 'I lost my phone');
    const first = await s.cardWith(ava, 'submitLostPhone');
    await s.say(ava, 'I lost my phone');
    const second = await s.cardWith(ava, 'submitLostPhone');
    expect(second.activityId).not.toBe(first.activityId);
    const answers = await Promise.all([
      s.click(ava, 'submitLostPhone', {}, first),
      s.click(ava, 'submitLostPhone', {}, second),
    ]);
    await s.settle();

    const requests = await s.h.bot.services.store.listRequestsSince('1970-01-01T00:00:00Z');
    expect(requests).toHaveLength(1);
    expect(answers.filter((a) => a.text.includes('Status: Submitted'))).toHaveLength(1);
    expect(answers.filter((a) => a.text.includes('You already have a request'))).toHaveLength(1);
  });
});
