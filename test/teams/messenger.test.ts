import { Writable } from 'node:stream';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type Activity } from 'botbuilder';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../src/logger.js';
import { DirectoryError, type ConversationKey, type ConversationRef } from '../../src/ports.js';
import {
  PaceGate,
  TeamsMessenger,
  type AppInstaller,
  type ConversationRefs,
  type TeamsMessengerOptions,
} from '../../src/teams/messenger.js';
import { startConnectorEmulator, type ConnectorEmulator } from '../support/connectorEmulator.js';

const TENANT = 'c0000000-0000-4000-8000-000000000001';
const TEAMS_APP = 'd0000000-0000-4000-8000-000000000001';
const AVA = 'a0000000-0000-4000-8000-000000000001';
const NINA = 'a0000000-0000-4000-8000-000000000007';
const HELPDESK = '19:helpdesk@thread.tacv2';

/** Conversation references in a Map, keyed like the store keys them. */
class MapRefs implements ConversationRefs {
  readonly saved = new Map<string, ConversationRef>();
  async getConversationRef(key: ConversationKey): Promise<ConversationRef | undefined> {
    return this.saved.get(JSON.stringify(key));
  }
  async saveConversationRef(key: ConversationKey, ref: ConversationRef): Promise<void> {
    this.saved.set(JSON.stringify(key), ref);
  }
}

/** Records installs; a user's chat exists once the app is installed for them. */
class RecordingInstaller implements AppInstaller {
  readonly calls: string[] = [];
  private readonly installed = new Set<string>();
  constructor(
    private readonly chats: Record<string, string>,
    private readonly failure?: Error,
  ) {}
  async installAppForUser(userId: string, teamsAppId: string): Promise<void> {
    this.calls.push(`install ${userId} ${teamsAppId}`);
    if (this.failure !== undefined) throw this.failure;
    this.installed.add(userId);
  }
  async getAppChatId(userId: string, teamsAppId: string): Promise<string | undefined> {
    this.calls.push(`chat ${userId} ${teamsAppId}`);
    return this.installed.has(userId) ? this.chats[userId] : undefined;
  }
}

let connector: ConnectorEmulator;
/** A second connector: the one that serves some conversations, as Teams' regions do. */
let regional: ConnectorEmulator;
let adapter: CloudAdapter;
let turnErrors: unknown[];

beforeAll(async () => {
  connector = await startConnectorEmulator();
  regional = await startConnectorEmulator();
});

afterAll(async () => {
  await Promise.all([connector.close(), regional.close()]);
});

beforeEach(() => {
  connector.reset();
  regional.reset();
  adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  turnErrors = [];
  adapter.onTurnError = async (_context, error) => {
    turnErrors.push(error);
  };
});

function messenger(overrides: Partial<TeamsMessengerOptions> = {}): TeamsMessenger {
  return new TeamsMessenger({
    adapter,
    appId: '',
    tenantId: TENANT,
    serviceUrl: connector.url,
    teamsAppId: TEAMS_APP,
    refs: new MapRefs(),
    directory: new RecordingInstaller({}),
    logger: silentLogger(),
    pacing: { retryDelayMs: 10 },
    ...overrides,
  });
}

const avaRef = (): ConversationRef => ({
  channelId: 'msteams',
  serviceUrl: connector.url,
  conversation: {
    id: 'a:ava-chat',
    conversationType: 'personal',
    tenantId: TENANT,
    isGroup: false,
    name: '',
  },
  bot: { id: '28:bot-id', name: 'TapDesk' },
  user: { id: `29:${AVA}`, name: 'Ava Employee', aadObjectId: AVA },
});

async function refsWithAva(): Promise<MapRefs> {
  const refs = new MapRefs();
  await refs.saveConversationRef({ user: AVA }, avaRef());
  return refs;
}

describe('TeamsMessenger.sendToUser', () => {
  it('posts into the chat the bot saved for the user, without a token in local mode', async () => {
    const directory = new RecordingInstaller({});
    const sut = messenger({ refs: await refsWithAva(), directory });

    const ref = await sut.sendToUser(AVA, { type: 'message', text: 'Your request is in' });

    expect(ref).toEqual({ conversationId: 'a:ava-chat', activityId: expect.any(String) });
    expect(connector.conversation('a:ava-chat')).toMatchObject([
      { id: ref.activityId, text: 'Your request is in', from: { id: '28:bot-id' } },
    ]);
    expect(connector.attempts.map((a) => a.authorization)).toEqual([undefined]);
    expect(directory.calls).toEqual([]);
  });

  it('installs the app for a user it has no chat with, then posts and remembers the chat', async () => {
    const refs = new MapRefs();
    const directory = new RecordingInstaller({ [NINA]: '19:nina-chat@unq.gbl.spaces' });
    const sut = messenger({ refs, directory });

    const first = await sut.sendToUser(NINA, { type: 'message', text: 'Welcome, Nina' });
    await sut.sendToUser(NINA, { type: 'message', text: 'Second' });

    expect(directory.calls).toEqual([`install ${NINA} ${TEAMS_APP}`, `chat ${NINA} ${TEAMS_APP}`]);
    expect(first.conversationId).toBe('19:nina-chat@unq.gbl.spaces');
    expect(connector.conversation('19:nina-chat@unq.gbl.spaces').map((a) => a.text)).toEqual([
      'Welcome, Nina',
      'Second',
    ]);
    expect(await refs.getConversationRef({ user: NINA })).toMatchObject({
      channelId: 'msteams',
      serviceUrl: connector.url,
      conversation: {
        id: '19:nina-chat@unq.gbl.spaces',
        conversationType: 'personal',
        tenantId: TENANT,
      },
    });
  });

  it('says plainly that a user without a chat cannot be reached when no Teams app id is set', async () => {
    const sut = messenger({ teamsAppId: undefined });

    await expect(sut.sendToUser(NINA, { type: 'message', text: 'hi' })).rejects.toThrow(
      `Cannot message user ${NINA} in Teams: they have never opened a chat with TapDesk, and TEAMS_APP_ID is not set`,
    );
    expect(connector.attempts).toEqual([]);
  });

  it('names the directory failure when installing the app for the user is refused', async () => {
    const refused = new DirectoryError(
      'forbidden',
      'the bot lacks the Graph permission TeamsAppInstallation.ReadWriteSelfForUser.All',
      403,
      'TeamsAppInstallation.ReadWriteSelfForUser.All',
    );
    const sut = messenger({ directory: new RecordingInstaller({}, refused) });

    await expect(sut.sendToUser(NINA, { type: 'message', text: 'hi' })).rejects.toThrow(
      `Cannot message user ${NINA} in Teams: installing TapDesk for them failed (the bot lacks the Graph permission TeamsAppInstallation.ReadWriteSelfForUser.All)`,
    );
  });

  it('says so when the app is installed but Teams shows no chat yet', async () => {
    const sut = messenger({ directory: new RecordingInstaller({}) });

    await expect(sut.sendToUser(NINA, { type: 'message', text: 'hi' })).rejects.toThrow(
      /TapDesk was installed for them, but Teams shows no chat with the app yet/,
    );
  });
});

describe('TeamsMessenger.sendToChannel and update', () => {
  it('a channel post starts a thread whose card is updated in place by a PUT on the same message', async () => {
    const sut = messenger();

    const ref = await sut.sendToChannel(HELPDESK, { type: 'message', text: 'Request from Ava' });
    await sut.update(ref, { type: 'message', text: 'Approved by Hugo' });

    expect(ref.conversationId).toBe(`${HELPDESK};messageid=${ref.activityId}`);
    const [create, update] = connector.log;
    expect(create).toMatchObject({
      op: 'create',
      activityId: ref.activityId,
      activity: { type: 'message', text: 'Request from Ava' },
      parameters: {
        isGroup: true,
        tenantId: TENANT,
        channelData: { channel: { id: HELPDESK }, tenant: { id: TENANT } },
      },
    });
    expect(update).toMatchObject({
      op: 'update',
      conversationId: ref.conversationId,
      activityId: ref.activityId,
    });
    expect(connector.conversation(ref.conversationId)).toMatchObject([
      { id: ref.activityId, text: 'Approved by Hugo' },
    ]);
  });

  it('updates a card in a personal chat', async () => {
    const sut = messenger({ refs: await refsWithAva() });
    const ref = await sut.sendToUser(AVA, { type: 'message', text: 'Pending' });

    await sut.update(ref, { type: 'message', text: 'Done' });

    expect(connector.conversation('a:ava-chat')).toMatchObject([
      { id: ref.activityId, text: 'Done' },
    ]);
  });
});

describe('TeamsMessenger routes each conversation to the connector that serves it', () => {
  const helpdeskRef = (serviceUrl: string): ConversationRef => ({
    channelId: 'msteams',
    serviceUrl,
    conversation: {
      id: HELPDESK,
      conversationType: 'channel',
      tenantId: TENANT,
      isGroup: true,
      name: 'Helpdesk',
    },
    bot: { id: '28:bot-id', name: 'TapDesk' },
  });

  it('a 1:1 message and its update go to the connector saved with the user’s chat', async () => {
    const refs = new MapRefs();
    await refs.saveConversationRef({ user: AVA }, { ...avaRef(), serviceUrl: regional.url });
    const sut = messenger({ refs });

    const ref = await sut.sendToUser(AVA, { type: 'message', text: 'Pending' });
    await sut.update(ref, { type: 'message', text: 'Done' });

    expect(regional.log.map((e) => e.activity?.text)).toEqual(['Pending', 'Done']);
    expect(regional.conversation('a:ava-chat')).toMatchObject([
      { id: ref.activityId, text: 'Done' },
    ]);
    expect(connector.attempts).toEqual([]);
  });

  it('a channel post and the updates of its thread go to the connector saved with the channel', async () => {
    const refs = new MapRefs();
    await refs.saveConversationRef({ channel: HELPDESK }, helpdeskRef(regional.url));
    const sut = messenger({ refs });

    const ref = await sut.sendToChannel(HELPDESK, { type: 'message', text: 'Request from Ava' });
    await sut.update(ref, { type: 'message', text: 'Approved by Hugo' });

    expect(regional.log.map((e) => e.op)).toEqual(['create', 'update']);
    expect(regional.conversation(ref.conversationId)).toMatchObject([
      { id: ref.activityId, text: 'Approved by Hugo' },
    ]);
    expect(connector.attempts).toEqual([]);
  });

  it('after a restart a channel card is still updated through the channel’s saved connector', async () => {
    const refs = new MapRefs();
    await refs.saveConversationRef({ channel: HELPDESK }, helpdeskRef(regional.url));
    const restarted = messenger({ refs });

    await restarted.update(
      { conversationId: `${HELPDESK};messageid=1700000000000`, activityId: '1700000000000' },
      { type: 'message', text: 'Expired' },
    );

    expect(regional.log).toMatchObject([
      {
        op: 'update',
        conversationId: `${HELPDESK};messageid=1700000000000`,
        activity: { conversation: { conversationType: 'channel', isGroup: true } },
      },
    ]);
    expect(connector.attempts).toEqual([]);
  });

  it('a card in a chat the bot only heard from is updated through the connector that chat came from', async () => {
    const sut = messenger();
    const incoming = {
      type: 'message',
      id: 'incoming-1',
      channelId: 'msteams',
      serviceUrl: regional.url,
      text: 'I lost my phone',
      from: { id: `29:${AVA}`, aadObjectId: AVA, name: 'Ava Employee' },
      recipient: { id: '28:bot-id', name: 'TapDesk' },
      conversation: { id: 'a:ava-chat', conversationType: 'personal', tenantId: TENANT },
      channelData: { tenant: { id: TENANT } },
    } as Activity;
    await adapter.processActivityDirect('', incoming, async () => undefined);

    await sut.update({ conversationId: 'a:ava-chat', activityId: '17' }, { text: 'Submitted' });

    expect(regional.log).toMatchObject([
      { op: 'update', conversationId: 'a:ava-chat', activityId: '17' },
    ]);
    expect(connector.attempts).toEqual([]);
  });

  it('a conversation it knows nothing about is reached through the configured connector, as a personal chat unless it is a team channel', async () => {
    const sut = messenger();
    const graphChat = '19:a0000000-0000-4000-8000-000000000002_d0000000@unq.gbl.spaces';

    await sut.update({ conversationId: graphChat, activityId: '5' }, { text: 'Confirmed' });
    await sut.sendToChannel(HELPDESK, { type: 'message', text: 'Request from Ava' });

    expect(connector.log).toMatchObject([
      {
        op: 'update',
        conversationId: graphChat,
        activity: { conversation: { conversationType: 'personal', isGroup: false } },
      },
      { op: 'create', parameters: { channelData: { channel: { id: HELPDESK } } } },
    ]);
    expect(regional.attempts).toEqual([]);
  });
});

describe('TeamsMessenger retries', () => {
  it('a 429 with Retry-After: 1 is retried after at least a second and the message arrives once', async () => {
    connector.inject({ status: 429, retryAfterSeconds: 1 });
    const sut = messenger({ refs: await refsWithAva() });

    await sut.sendToUser(AVA, { type: 'message', text: 'after the wait' });

    expect(connector.attempts.map((a) => a.status)).toEqual([429, 200]);
    const [refused, accepted] = connector.attempts;
    expect((accepted?.at ?? 0) - (refused?.at ?? 0)).toBeGreaterThanOrEqual(990);
    expect(connector.log.filter((e) => e.activity?.text === 'after the wait')).toHaveLength(1);
  });

  it('a 429 without Retry-After is retried by the messenger with its own backoff', async () => {
    connector.inject({ status: 429, times: 2 });
    const sut = messenger({ refs: await refsWithAva() });

    await sut.sendToUser(AVA, { type: 'message', text: 'eventually' });

    expect(connector.attempts.map((a) => a.status)).toEqual([429, 429, 200]);
    expect(connector.conversation('a:ava-chat').map((a) => a.text)).toEqual(['eventually']);
  });

  it('throttling that outlasts botbuilder’s own retries is retried by the messenger', async () => {
    connector.inject({ op: 'update', status: 429, retryAfterSeconds: 0, times: 5 });
    const sut = messenger();

    await sut.update({ conversationId: 'a:ava-chat', activityId: '17' }, { text: 'v2' });

    expect(connector.attempts.map((a) => a.status)).toEqual([429, 429, 429, 429, 429, 200]);
    expect(connector.log.map((e) => e.op)).toEqual(['update']);
  });

  it('a 503 that outlasts botbuilder’s own retries is retried and delivered once', async () => {
    connector.inject({ op: 'create', status: 503, retryAfterSeconds: 0, times: 4 });
    const sut = messenger();

    const ref = await sut.sendToChannel(HELPDESK, { type: 'message', text: 'new request' });

    expect(connector.attempts.filter((a) => a.status === 503)).toHaveLength(4);
    expect(connector.log).toMatchObject([{ op: 'create', activityId: ref.activityId }]);
  });

  it('gives up after the bounded retries with a readable error that carries no card content', async () => {
    connector.inject({ status: 429, retryAfterSeconds: 0, times: 100 });
    const lines: string[] = [];
    const logger = createLogger(
      'debug',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    const sut = messenger({ refs: await refsWithAva(), logger, pacing: { maxRetries: 1 } });

    const failure = sut.sendToUser(AVA, { type: 'message', text: 'pass Xy7-secret-9Q' });

    await expect(failure).rejects.toThrow(
      'Could not send a message to user a0000000-0000-4000-8000-000000000001 to Teams: Teams kept throttling the bot (HTTP 429 Throttled, 2 attempts)',
    );
    const error = await failure.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    // Each messenger attempt is four HTTP calls: botbuilder's pipeline retries three times.
    expect(connector.attempts).toHaveLength(8);
    expect(connector.log).toEqual([]);
    expect(error?.cause).toBeUndefined();
    expect(lines.join('')).not.toContain('Xy7-secret-9Q');
    expect(lines.join('')).toContain('Teams refused an outgoing message');
    expect(turnErrors).toEqual([]);
  });
});

describe('TeamsMessenger pacing', () => {
  it('20 sends to one chat arrive in order, at most 7 in any second, taking at least 2 s', async () => {
    const sut = messenger({ refs: await refsWithAva() });
    const started = Date.now();

    await Promise.all(
      Array.from({ length: 20 }, (_, i) => sut.sendToUser(AVA, { type: 'message', text: `m${i}` })),
    );

    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(connector.log.map((e) => e.activity?.text)).toEqual(
      Array.from({ length: 20 }, (_, i) => `m${i}`),
    );
    const times = connector.attempts.map((a) => a.at);
    for (const t of times) {
      expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(7);
    }
  });

  it('a busy conversation does not hold up another one', async () => {
    const sut = messenger({ refs: await refsWithAva(), pacing: { perSecond: 1 } });

    const busy = Promise.all([
      sut.sendToUser(AVA, { type: 'message', text: 'ava 1' }),
      sut.sendToUser(AVA, { type: 'message', text: 'ava 2' }),
    ]);
    const other = sut.sendToChannel(HELPDESK, { type: 'message', text: 'channel' });
    await Promise.all([busy, other]);

    const at = (text: string) => connector.log.find((e) => e.activity?.text === text)?.at ?? NaN;
    expect(at('ava 2') - at('ava 1')).toBeGreaterThanOrEqual(900);
    expect(at('channel')).toBeLessThan(at('ava 2') - 500);
  });

  it('threads of one channel share the channel’s pace', async () => {
    const sut = messenger({ pacing: { perSecond: 1 } });
    const ref = await sut.sendToChannel(HELPDESK, { type: 'message', text: 'root' });
    const started = Date.now();

    await sut.update(ref, { type: 'message', text: 'edited' });

    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe('PaceGate', () => {
  it('holds the 61st operation in 30 s until the first one leaves the window', async () => {
    let now = 0;
    const slept: number[] = [];
    const gate = new PaceGate(
      [
        { ms: 1000, max: 7 },
        { ms: 30_000, max: 60 },
      ],
      {
        now: () => now,
        sleep: async (ms) => {
          slept.push(ms);
          now += ms;
        },
      },
    );

    const startedAt: number[] = [];
    for (let i = 0; i < 61; i += 1) {
      await gate.admit();
      startedAt.push(now);
    }

    for (const t of startedAt) {
      expect(startedAt.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(7);
    }
    expect(startedAt[59]).toBeLessThan(30_000);
    expect(startedAt[60]).toBe(30_000);
  });

  it('lets operations through at once while under both limits', async () => {
    let now = 0;
    const gate = new PaceGate([{ ms: 1000, max: 3 }], {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });

    await gate.admit();
    await gate.admit();
    await gate.admit();
    expect(now).toBe(0);
    await gate.admit();
    expect(now).toBe(1000);
    expect(gate.idle()).toBe(false);
    now += 2000;
    expect(gate.idle()).toBe(true);
  });
});
