/**
 * The {@link Messenger} port over botbuilder's `CloudAdapter`: proactive 1:1 messages, new
 * channel threads and in-place card updates, paced to Teams' per-conversation limits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  Activity,
  ChannelAccount,
  CloudAdapter,
  ConversationAccount,
  TurnContext,
} from 'botbuilder';
import PQueue from 'p-queue';
import { z } from 'zod';
import type { CardRef } from '../domain/request.js';
import type { Logger } from '../logger.js';
import type { ConversationRef, Directory, Messenger, OutgoingActivity, Store } from '../ports.js';

/** The two store methods the messenger needs: where users' 1:1 chats and channels are filed. */
export type ConversationRefs = Pick<Store, 'getConversationRef' | 'saveConversationRef'>;

/** The directory calls that put the app in a user's personal scope. */
export type AppInstaller = Pick<Directory, 'installAppForUser' | 'getAppChatId'>;

/**
 * How fast the messenger talks to one conversation, and how long it keeps trying.
 *
 * @remarks Teams allows a bot 7 operations a second and 60 per 30 seconds in one conversation
 * (thread); beyond that it answers 429. botbuilder's HTTP pipeline already retries a 429 (after
 * `Retry-After`) and 5xx a few times on its own; `maxRetries` counts the messenger's attempts on
 * top of that, for throttling that outlasts the pipeline.
 */
export interface Pacing {
  /** Default 7. */
  perSecond?: number;
  /** Default 60. */
  perThirtySeconds?: number;
  /** Retries after the first attempt fails with 429, 412 or 5xx. Default 3. */
  maxRetries?: number;
  /** Backoff for 5xx (doubled per retry) and for a 429 without `Retry-After`. Default 1000 ms. */
  retryDelayMs?: number;
  /** A longer `Retry-After` is cut to this, so a retry is always bounded. Default 60 s. */
  maxRetryAfterMs?: number;
}

export interface TeamsMessengerOptions {
  adapter: CloudAdapter;
  /** The bot's Microsoft App ID; '' in local mode, where nothing is signed. */
  appId: string;
  tenantId: string;
  /**
   * Connector for a conversation whose own is unknown (`TEAMS_SERVICE_URL`): a chat the bot
   * starts by installing the app, or a channel it never heard from.
   */
  serviceUrl: string;
  /** The app package's id, to install the app for a user who never talked to the bot. */
  teamsAppId?: string;
  refs: ConversationRefs;
  directory: AppInstaller;
  logger: Logger;
  pacing?: Pacing;
}

const BOT_NAME = 'TapDesk';
const SECOND_MS = 1000;
const THIRTY_SECONDS_MS = 30 * SECOND_MS;

const connectorFailure = z.object({ statusCode: z.number(), code: z.string().optional() });

interface Failure {
  status: number | undefined;
  code: string | undefined;
  retryAfterMs: number | undefined;
}

/** Reads what the connector said from the `RestError` botbuilder throws; never the request. */
function failureOf(error: unknown): Failure {
  const parsed = connectorFailure.safeParse(error);
  if (!parsed.success) return { status: undefined, code: undefined, retryAfterMs: undefined };
  const headers =
    typeof error === 'object' && error !== null && 'response' in error
      ? (error.response as { headers?: unknown } | undefined)?.headers
      : undefined;
  const header =
    typeof headers === 'object' &&
    headers !== null &&
    'get' in headers &&
    typeof headers.get === 'function'
      ? (headers.get as (name: string) => unknown).call(headers, 'retry-after')
      : undefined;
  return {
    status: parsed.data.statusCode,
    code: parsed.data.code,
    retryAfterMs: parseRetryAfter(header),
  };
}

function parseRetryAfter(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * SECOND_MS);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const isRetryable = (status: number | undefined): boolean =>
  status === 429 || status === 412 || (status !== undefined && status >= 500 && status !== 501);

/** One clock-and-sleep pair, so the pacing rules can be tested without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = { now: () => Date.now(), sleep: (ms) => sleep(ms) };

/**
 * Sliding-window admission for one conversation: `admit()` resolves once starting another
 * operation keeps every window within its limit. Callers serialise their calls and `release()`
 * each admitted operation when it ends.
 */
export class PaceGate {
  private readonly starts: number[] = [];

  constructor(
    private readonly windows: readonly { ms: number; max: number }[],
    private readonly clock: Clock = realClock,
  ) {}

  async admit(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const longest = Math.max(...this.windows.map((w) => w.ms));
      while (this.starts.length > 0 && (this.starts[0] ?? 0) <= now - longest) this.starts.shift();
      let wait = 0;
      for (const { ms, max } of this.windows) {
        const inWindow = this.starts.filter((t) => t > now - ms);
        if (inWindow.length >= max) {
          wait = Math.max(wait, (inWindow[inWindow.length - max] ?? now) + ms - now);
        }
      }
      if (wait <= 0) {
        this.starts.push(now);
        return;
      }
      await this.clock.sleep(wait);
    }
  }

  /**
   * Marks the admitted operation finished. Its slot then counts from now: the service saw the
   * call somewhere between start and finish, and only the finish bounds that from above.
   */
  release(): void {
    if (this.starts.length > 0) this.starts[this.starts.length - 1] = this.clock.now();
  }

  /** True when nothing started within the longest window, so the gate can be forgotten. */
  idle(): boolean {
    const longest = Math.max(...this.windows.map((w) => w.ms));
    const last = this.starts[this.starts.length - 1];
    return last === undefined || last <= this.clock.now() - longest;
  }
}

interface Lane {
  queue: PQueue;
  gate: PaceGate;
}

/**
 * Teams channel threads share their channel's limits, so `19:x@thread.tacv2;messageid=1` paces
 * with `19:x@thread.tacv2`.
 */
const laneKey = (conversationId: string): string => conversationId.split(';messageid=')[0] ?? '';

/** Team channels are `19:…@thread.tacv2` (older ones `@thread.skype`); group chats `@thread.v2`. */
const isChannel = (conversationId: string): boolean =>
  /@thread\.(tacv2|skype)$/.test(laneKey(conversationId));

/** How to reach one conversation again: the connector that serves it, and what kind it is. */
interface Route {
  serviceUrl: string;
  conversationType: string;
}

/** Routes kept in memory; the oldest is forgotten beyond this. */
const MAX_ROUTES = 10_000;

/**
 * Sends TapDesk's cards into Teams proactively, each through the connector that serves its
 * conversation. To know those, it watches the activities coming in through `adapter` (it adds a
 * middleware when constructed) and remembers where it sent.
 *
 * @remarks In local mode (`appId` ''), botbuilder signs nothing and talks to `serviceUrl` as is,
 * which is how the tests drive a real `CloudAdapter` against a connector emulator.
 */
export class TeamsMessenger implements Messenger {
  private readonly lanes = new Map<string, Lane>();
  /** By conversation (a channel's threads share their channel's entry). */
  private readonly routes = new Map<string, Route>();
  private readonly bot: ChannelAccount;
  private readonly perSecond: number;
  private readonly perThirtySeconds: number;
  private readonly maxRetries: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryAfterMs: number;

  constructor(
    private readonly options: TeamsMessengerOptions,
    private readonly clock: Clock = realClock,
  ) {
    const pacing = options.pacing ?? {};
    this.perSecond = pacing.perSecond ?? 7;
    this.perThirtySeconds = pacing.perThirtySeconds ?? 60;
    this.maxRetries = pacing.maxRetries ?? 3;
    this.retryDelayMs = pacing.retryDelayMs ?? SECOND_MS;
    this.maxRetryAfterMs = pacing.maxRetryAfterMs ?? 60 * SECOND_MS;
    this.bot = { id: `28:${options.appId}`, name: BOT_NAME };
    options.adapter.use(async (context, next) => {
      this.learnRoute(context.activity.conversation, context.activity.serviceUrl);
      await next();
    });
  }

  async sendToUser(aadObjectId: string, activity: OutgoingActivity): Promise<CardRef> {
    const reference = await this.userReference(aadObjectId);
    const conversationId = reference.conversation?.id;
    if (conversationId === undefined) {
      throw new Error(`Cannot message user ${aadObjectId}: their saved Teams chat has no id`);
    }
    this.learnRoute(reference.conversation, reference.serviceUrl);
    const activityId = await this.run(conversationId, `a message to user ${aadObjectId}`, () =>
      this.continueWith(reference, async (context) => {
        const response = await context.sendActivity(activity);
        return response?.id;
      }),
    );
    if (activityId === undefined) {
      throw new Error(`Teams accepted the message to user ${aadObjectId} but returned no id`);
    }
    return { conversationId, activityId };
  }

  async sendToChannel(channelId: string, activity: OutgoingActivity): Promise<CardRef> {
    const { adapter, appId, tenantId } = this.options;
    const { serviceUrl } = await this.routeTo(channelId);
    const conversationId = await this.run(channelId, `a post in channel ${channelId}`, async () => {
      let created: string | undefined;
      await adapter.createConversationAsync(
        appId,
        'msteams',
        serviceUrl,
        '',
        {
          isGroup: true,
          channelData: { channel: { id: channelId }, tenant: { id: tenantId } },
          activity: { type: 'message', ...activity } as Activity,
          tenantId,
          bot: this.bot,
          members: [],
        },
        async (context) => {
          created = context.activity.conversation.id;
        },
      );
      return created;
    });
    // The create call's `activityId` does not reach the turn; Teams names the thread after it.
    const activityId = conversationId?.split(';messageid=')[1];
    if (conversationId === undefined || activityId === undefined || activityId === '') {
      throw new Error(
        `Teams created a conversation in channel ${channelId} but did not say which message`,
      );
    }
    this.learnRoute({ id: conversationId, conversationType: 'channel' }, serviceUrl);
    return { conversationId, activityId };
  }

  async update(ref: CardRef, activity: OutgoingActivity): Promise<void> {
    const { serviceUrl, conversationType } = await this.routeTo(ref.conversationId);
    const reference: ConversationRef = {
      channelId: 'msteams',
      serviceUrl,
      bot: this.bot,
      conversation: {
        id: ref.conversationId,
        tenantId: this.options.tenantId,
        isGroup: conversationType !== 'personal',
        conversationType,
        name: '',
      },
    };
    await this.run(ref.conversationId, `an update of message ${ref.activityId}`, () =>
      this.continueWith(reference, async (context) => {
        await context.updateActivity({ type: 'message', ...activity, id: ref.activityId });
      }),
    );
  }

  /**
   * The connector serving a conversation: the one it was last heard from or sent to (on this
   * instance), else the channel's saved reference, else the configured one.
   *
   * @remarks Teams serves conversations from regional connectors, and each Agents Playground of
   * the demo is its own connector, so one `serviceUrl` does not reach every conversation.
   */
  private async routeTo(conversationId: string): Promise<Route> {
    const key = laneKey(conversationId);
    const known = this.routes.get(key);
    if (known !== undefined) return known;
    const conversationType = isChannel(key) ? 'channel' : 'personal';
    if (conversationType === 'channel') {
      const saved = await this.options.refs.getConversationRef({ channel: key });
      if (saved?.serviceUrl) return { serviceUrl: saved.serviceUrl, conversationType };
    }
    return { serviceUrl: this.options.serviceUrl, conversationType };
  }

  /** Remembers which connector serves a conversation, from an activity or a reference. */
  private learnRoute(
    conversation: Partial<ConversationAccount> | undefined,
    serviceUrl: string | undefined,
  ): void {
    if (!conversation?.id || !serviceUrl) return;
    const key = laneKey(conversation.id);
    this.routes.delete(key);
    this.routes.set(key, {
      serviceUrl,
      conversationType: conversation.conversationType ?? (isChannel(key) ? 'channel' : 'personal'),
    });
    if (this.routes.size > MAX_ROUTES) {
      const oldest = this.routes.keys().next().value;
      if (oldest !== undefined) this.routes.delete(oldest);
    }
  }

  /** The user's 1:1 chat: saved by the bot, else made by installing the app for them. */
  private async userReference(aadObjectId: string): Promise<ConversationRef> {
    const saved = await this.options.refs.getConversationRef({ user: aadObjectId });
    if (saved !== undefined) return saved;

    const { teamsAppId, directory, serviceUrl, tenantId, logger } = this.options;
    if (teamsAppId === undefined || teamsAppId === '') {
      throw new Error(
        `Cannot message user ${aadObjectId} in Teams: they have never opened a chat with TapDesk, ` +
          'and TEAMS_APP_ID is not set, so the app cannot be installed for them',
      );
    }
    let chatId: string | undefined;
    try {
      await directory.installAppForUser(aadObjectId, teamsAppId);
      chatId = await directory.getAppChatId(aadObjectId, teamsAppId);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Cannot message user ${aadObjectId} in Teams: installing TapDesk for them failed (${reason})`,
      );
    }
    if (chatId === undefined) {
      throw new Error(
        `Cannot message user ${aadObjectId} in Teams: TapDesk was installed for them, ` +
          'but Teams shows no chat with the app yet',
      );
    }
    logger.info({ user: aadObjectId }, 'installed TapDesk for a user to reach them 1:1');
    const reference: ConversationRef = {
      channelId: 'msteams',
      serviceUrl,
      bot: this.bot,
      conversation: {
        id: chatId,
        conversationType: 'personal',
        tenantId,
        isGroup: false,
        name: '',
      },
    };
    await this.options.refs.saveConversationRef({ user: aadObjectId }, reference);
    return reference;
  }

  /**
   * Runs `logic` in a proactive turn. Its failure is carried out of the turn rather than thrown
   * inside it, so the adapter's `onTurnError` (which would try to post an apology into the same
   * conversation) never sees it and the caller gets the real error.
   */
  private async continueWith<T>(
    reference: ConversationRef,
    logic: (context: TurnContext) => Promise<T>,
  ): Promise<T | undefined> {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    await this.options.adapter.continueConversationAsync(
      this.options.appId,
      reference,
      async (context) => {
        try {
          outcome = { ok: true, value: await logic(context) };
        } catch (error) {
          outcome = { ok: false, error };
        }
      },
    );
    if (outcome === undefined) return undefined;
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** Queues `operation` behind earlier ones in the same conversation, paced and retried. */
  private run<T>(conversationId: string, what: string, operation: () => Promise<T>): Promise<T> {
    const lane = this.lane(laneKey(conversationId));
    return lane.queue.add(async () => {
      for (let attempt = 0; ; attempt += 1) {
        await lane.gate.admit();
        try {
          const result = await operation();
          lane.gate.release();
          return result;
        } catch (error) {
          lane.gate.release();
          const failure = failureOf(error);
          if (!isRetryable(failure.status) || attempt >= this.maxRetries) {
            throw this.explain(what, conversationId, failure, attempt + 1, error);
          }
          const delayMs =
            failure.status === 429 && failure.retryAfterMs !== undefined
              ? Math.min(failure.retryAfterMs, this.maxRetryAfterMs)
              : this.retryDelayMs * 2 ** attempt;
          this.options.logger.warn(
            { conversationId, status: failure.status, code: failure.code, attempt, delayMs },
            'Teams refused an outgoing message; trying again',
          );
          await this.clock.sleep(delayMs);
        }
      }
    });
  }

  /**
   * A failure in words an operator can act on. The connector's own error is not attached: it
   * holds the request, whose card may carry a pass.
   */
  private explain(
    what: string,
    conversationId: string,
    failure: Failure,
    attempts: number,
    error: unknown,
  ): Error {
    if (failure.status === undefined) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.options.logger.error({ conversationId }, `could not send ${what}`);
      return new Error(`Could not send ${what} to Teams (${reason})`);
    }
    const why =
      failure.status === 429
        ? 'Teams kept throttling the bot'
        : failure.status === 403
          ? 'the bot is not a member of that conversation (was the app removed?)'
          : failure.status === 404
            ? 'Teams does not know that conversation or message'
            : failure.status === 401
              ? 'Teams did not accept the bot credentials'
              : 'the Teams service failed';
    this.options.logger.error(
      { conversationId, status: failure.status, code: failure.code, attempts },
      `could not send ${what}`,
    );
    return new Error(
      `Could not send ${what} to Teams: ${why} (HTTP ${failure.status}` +
        `${failure.code === undefined ? '' : ` ${failure.code}`}, ${attempts} attempt${attempts === 1 ? '' : 's'})`,
    );
  }

  private lane(key: string): Lane {
    const existing = this.lanes.get(key);
    if (existing !== undefined) return existing;
    for (const [other, lane] of this.lanes) {
      if (lane.queue.size === 0 && lane.queue.pending === 0 && lane.gate.idle()) {
        this.lanes.delete(other);
      }
    }
    const lane: Lane = {
      queue: new PQueue({ concurrency: 1 }),
      gate: new PaceGate(
        [
          { ms: SECOND_MS, max: this.perSecond },
          { ms: THIRTY_SECONDS_MS, max: this.perThirtySeconds },
        ],
        this.clock,
      ),
    };
    this.lanes.set(key, lane);
    return lane;
  }
}
