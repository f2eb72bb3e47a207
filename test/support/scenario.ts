/**
 * A person-level driver for flow tests: people say things and click buttons over HTTP, and the
 * test reads the cards each of them sees at the connector emulator.
 */
import { expect } from 'vitest';
import { DEMO } from '../../src/demo/tenantSeed.js';
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
  close(): Promise<void>;
}

export const textOf = (value: unknown): string => JSON.stringify(value ?? null);

export async function startScenario(options: HarnessOptions = {}): Promise<Scenario> {
  const h = await startHarness(options);
  const serviceUrl = h.connector.url;
  const scenario: Scenario = {
    h,
    async say(who, text) {
      const before = h.connector.log.length;
      const result = await h.post(message(text, who, { serviceUrl }));
      expect(result.status).toBeLessThan(300);
      return textOf(h.connector.log.slice(before).map((entry) => entry.activity));
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
    close: () => h.close(),
  };
  return scenario;
}
