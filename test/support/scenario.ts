/**
 * A person-level driver for flow tests: people say things and click buttons over HTTP, and the
 * test reads the cards each of them sees at the connector emulator.
 */
import { expect } from 'vitest';
import { DEMO } from '../../src/demo/tenantSeed.js';
import type { TapRequest } from '../../src/domain/request.js';
import { checksFor } from '../../src/domain/verification.js';
import { HELPDESK_CHANNEL, invoke, message, type From } from './activities.js';
import type { JsonActivity } from './connectorEmulator.js';
import { startHarness, type Harness, type HarnessOptions } from './harness.js';

export const PEOPLE = {
  ava: { aadObjectId: DEMO.users.ava, name: 'Ava Employee' },
  maya: { aadObjectId: DEMO.users.maya, name: 'Maya Manager' },
  hugo: { aadObjectId: DEMO.users.hugo, name: 'Hugo Helpdesk' },
  hana: { aadObjectId: DEMO.users.hana, name: 'Hana Helpdesk' },
  sam: { aadObjectId: DEMO.users.sam, name: 'Sam Security' },
  ada: { aadObjectId: DEMO.users.ada, name: 'Ada Admin' },
  nina: { aadObjectId: DEMO.users.nina, name: 'Nina Newhire' },
  gail: { aadObjectId: DEMO.users.gail, name: 'Gail Guest' },
  dan: { aadObjectId: DEMO.users.dan, name: 'Dan Disabled' },
  olly: { aadObjectId: DEMO.users.olly, name: 'Olly Orphan' },
} as const satisfies Record<string, From>;

/** Where a card a test clicks on lives. */
export interface CardAt {
  conversationId: string;
  activityId: string;
}

/** A card as it is now, where it lives and its JSON text. */
export interface CardNow extends CardAt {
  text: string;
}

export interface ClickResult {
  status: number;
  /** The invoke response's card (or notice) as JSON text, for `toContain` checks. */
  text: string;
  body: unknown;
}

export interface Scenario {
  h: Harness;
  /** A 1:1 message; resolves with the text of everything the bot answered. */
  say(who: From, text: string): Promise<string>;
  /** Clicks `verb` on the card at `card` (default: a card in the clicker's 1:1 chat). */
  click(
    who: From,
    verb: string,
    data: Record<string, unknown>,
    card?: CardAt,
  ): Promise<ClickResult>;
  /** Waits for work that continues after answers (bounded). */
  settle(): Promise<void>;
  /** The bot's 1:1 conversation id with a person, from the conversation reference it saved. */
  chatOf(who: From): Promise<string>;
  /** Current versions of the activities in a person's 1:1 chat. */
  chat(who: From): Promise<JsonActivity[]>;
  /** The current helpdesk channel card of the (only) request. */
  channelCard(): CardAt & { text: string };
  /** The id of the one request in the store. */
  requestId(): Promise<string>;
  /** The stored request (fails the test when there is none). */
  request(id: string): Promise<TapRequest>;
  /** Every reply and invoke answer the bot gave so far, as text (for leak checks). */
  answers: string[];
  /** The newest card in a person's 1:1 chat that offers `verb`, as it is now. */
  cardWith(who: From, verb: string): Promise<CardNow>;
  /** The current versions of the alerts posted in the security channel, as text. */
  securityAlerts(): string[];
  /**
   * `who` says they lost their phone and presses Submit on the offer; waits until the manager
   * and the channel have their cards.
   */
  submitLostPhone(
    who?: From,
  ): Promise<{ requestId: string; offer: string; answer: ClickResult; card: CardAt }>;
  /**
   * The directory manager confirms (when there is one) and `agent` ticks every check the channel
   * card shows and reviews the flags, so the request is ready to approve.
   */
  verify(requestId: string, agent?: From): Promise<void>;
  /** The whole flow up to the pass in `agent`'s chat; resolves with the agent's pass card. */
  issuePass(who?: From, agent?: From): Promise<{ requestId: string; agentCard: CardNow }>;
  close(): Promise<void>;
}

/** A clock a test moves forward; it starts at the real time and runs on with it. */
export interface TestClock {
  now(): Date;
  advance(minutes: number): void;
}

export function testClock(): TestClock {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(minutes) {
      offsetMs += minutes * 60_000;
    },
  };
}

export const textOf = (value: unknown): string => JSON.stringify(value ?? null);

/** The security channel of the demo tenant, where alerts and escalations go. */
export const SECURITY_CHANNEL = DEMO.channels.security;

export async function startScenario(options: HarnessOptions = {}): Promise<Scenario> {
  const h = await startHarness(options);
  const serviceUrl = h.connector.url;
  const answers: string[] = [];
  const scenario: Scenario = {
    h,
    answers,
    async say(who, text) {
      const before = h.connector.log.length;
      const result = await h.post(message(text, who, { serviceUrl }));
      expect(result.status).toBeLessThan(300);
      const replies = textOf(h.connector.log.slice(before).map((entry) => entry.activity));
      answers.push(textOf(result.body), replies);
      return replies;
    },
    async click(who, verb, data, card) {
      const conversationId = card?.conversationId ?? `a:personal-${who.aadObjectId}`;
      const channel = conversationId.startsWith('19:') && conversationId.includes('@thread');
      const result = await h.post(
        invoke(verb, data, who, {
          serviceUrl,
          conversationId,
          replyToId: card?.activityId,
          ...(channel ? { channel: HELPDESK_CHANNEL } : {}),
        }),
      );
      answers.push(textOf(result.body));
      return { status: result.status, body: result.body, text: textOf(result.body) };
    },
    async settle() {
      expect(await h.bot.services.background.idle(15_000)).toBe(true);
    },
    async chatOf(who) {
      const ref = await h.bot.services.store.getConversationRef({ user: who.aadObjectId });
      const id = ref?.conversation?.id;
      if (!id) throw new Error(`TapDesk has no chat with ${who.name}`);
      return id;
    },
    async chat(who) {
      return h.connector.conversation(await scenario.chatOf(who));
    },
    channelCard() {
      const created = h.connector.log.filter(
        (e) => e.op === 'create' && e.conversationId.startsWith(`${HELPDESK_CHANNEL};`),
      );
      expect(created).toHaveLength(1);
      const conversationId = created[0]!.conversationId;
      const current = h.connector.conversation(conversationId);
      return {
        conversationId,
        activityId: created[0]!.activityId,
        text: textOf(current[0]),
      };
    },
    async requestId() {
      const open = await h.bot.services.store.listRequestsSince('1970-01-01T00:00:00Z');
      expect(open).toHaveLength(1);
      return open[0]!.id;
    },
    async request(id) {
      const request = await h.bot.services.store.getRequest(id);
      if (request === undefined) throw new Error(`No request ${id} in the store`);
      return request;
    },
    async cardWith(who, verb) {
      const conversationId = await scenario.chatOf(who);
      const found = h.connector
        .conversation(conversationId)
        .reverse()
        .find((activity) => textOf(activity).includes(`"verb":"${verb}"`));
      if (found?.id === undefined) throw new Error(`${who.name} has no card offering ${verb}`);
      return { conversationId, activityId: found.id, text: textOf(found) };
    },
    securityAlerts() {
      return h.connector.log
        .filter((e) => e.op === 'create' && e.conversationId.startsWith(`${SECURITY_CHANNEL};`))
        .map((e) => textOf(h.connector.conversation(e.conversationId)));
    },
    async submitLostPhone(who = PEOPLE.ava) {
      const said = await scenario.say(who, 'I lost my phone');
      const offer = await scenario.cardWith(who, 'submitLostPhone');
      const card = { conversationId: offer.conversationId, activityId: offer.activityId };
      const answer = await scenario.click(who, 'submitLostPhone', {}, card);
      expect(answer.status).toBe(200);
      await scenario.settle();
      const mine = await h.bot.services.store.listRequestsByRequester(
        who.aadObjectId,
        '1970-01-01T00:00:00Z',
      );
      const requestId = mine.at(-1)?.id;
      if (requestId === undefined) throw new Error(`${who.name}'s submit stored no request`);
      return { requestId, offer: said, answer, card };
    },
    async verify(requestId, agent = PEOPLE.hugo) {
      const request = await scenario.request(requestId);
      const manager = Object.values(PEOPLE).find((p) => p.aadObjectId === request.manager?.id);
      if (manager !== undefined) {
        const card = await scenario.cardWith(manager, 'attestConfirm');
        expect((await scenario.click(manager, 'attestConfirm', { requestId }, card)).status).toBe(
          200,
        );
      }
      const channel = scenario.channelCard();
      for (const check of checksFor(request)) {
        await scenario.click(
          agent,
          'toggleCheck',
          { requestId, check: check.id, done: true },
          channel,
        );
      }
      if (request.flags.length > 0) {
        await scenario.click(agent, 'reviewFlags', { requestId }, channel);
      }
      await scenario.settle();
      expect((await scenario.request(requestId)).state).toBe('awaiting_approval');
    },
    async issuePass(who = PEOPLE.ava, agent = PEOPLE.hugo) {
      const { requestId } = await scenario.submitLostPhone(who);
      await scenario.verify(requestId, agent);
      const approved = await scenario.click(
        agent,
        'approve',
        { requestId },
        scenario.channelCard(),
      );
      expect(approved.status).toBe(200);
      await scenario.settle();
      expect((await scenario.request(requestId)).state).toBe('pass_issued');
      return { requestId, agentCard: await scenario.cardWith(agent, 'deliver') };
    },
    close: () => h.close(),
  };
  return scenario;
}
