/**
 * Factories for the activities Teams posts to the bot, shaped like the real payloads (ids,
 * tenant, channel data), plus a plain HTTP poster for `/api/messages`.
 */
import { randomUUID } from 'node:crypto';
import type { Activity } from 'botbuilder';

/** The demo tenant every test uses unless told otherwise. */
export const DEMO_TENANT_ID = 'c0000000-0000-4000-8000-000000000001';
/** The bot's channel account id in Teams (`28:` + app id). */
export const BOT_ID = '28:bot-id';
export const BOT_NAME = 'TapDesk';
/** The helpdesk channel of the demo tenant. */
export const HELPDESK_CHANNEL = '19:helpdesk@thread.tacv2';
/** The team that holds the demo channels (Teams names a team by its General channel). */
export const DEMO_TEAM_ID = '19:general@thread.tacv2';

/** Who sent an activity: a Teams user by Entra object id. */
export interface From {
  aadObjectId: string;
  name: string;
}

/** Where an incoming activity comes from. */
export interface ActivityOptions {
  /**
   * The connector the bot answers to (the connector emulator's url). The default is a
   * loopback port nothing listens on, so a forgotten url fails fast instead of going out.
   */
  serviceUrl?: string;
  tenantId?: string;
  /**
   * Post in this channel (`19:…@thread.tacv2`) instead of the sender's 1:1 chat with the bot.
   * `true` means the helpdesk channel.
   */
  channel?: string | true;
  /** In a channel: the root message of the thread replied in (default: a new thread). */
  threadId?: string;
  teamId?: string;
  /** Overrides the conversation id altogether. */
  conversationId?: string;
  /** Overrides the fresh activity id. */
  id?: string;
  /** Default `new Date()`. */
  timestamp?: Date;
}

export interface MessageOptions extends ActivityOptions {
  /** In a channel, Teams only delivers messages that @mention the bot (default true there). */
  mentionBot?: boolean;
}

export interface InvokeOptions extends ActivityOptions {
  /** The activity that carries the card the action was clicked on. */
  replyToId?: string;
}

const UNREACHABLE_SERVICE_URL = 'http://127.0.0.1:9/';

const fromAccount = (from: From) => ({
  id: `29:${from.aadObjectId}`,
  aadObjectId: from.aadObjectId,
  name: from.name,
});

/** The fields every activity from Teams carries. */
function base(type: string, from: From, opts: ActivityOptions): Partial<Activity> {
  const tenantId = opts.tenantId ?? DEMO_TENANT_ID;
  const id = opts.id ?? `f:${randomUUID()}`;
  const timestamp = opts.timestamp ?? new Date();
  const channel = opts.channel === true ? HELPDESK_CHANNEL : opts.channel;
  const conversation =
    channel === undefined
      ? {
          id: opts.conversationId ?? `a:personal-${from.aadObjectId}`,
          conversationType: 'personal',
          tenantId,
        }
      : {
          id: opts.conversationId ?? `${channel};messageid=${opts.threadId ?? id}`,
          conversationType: 'channel',
          isGroup: true,
          tenantId,
        };
  const teamId = opts.teamId ?? DEMO_TEAM_ID;
  const channelData =
    channel === undefined
      ? { tenant: { id: tenantId } }
      : {
          tenant: { id: tenantId },
          channel: { id: channel },
          team: { id: teamId },
          teamsChannelId: channel,
          teamsTeamId: teamId,
        };
  return {
    type,
    id,
    timestamp,
    localTimestamp: timestamp,
    channelId: 'msteams',
    serviceUrl: opts.serviceUrl ?? UNREACHABLE_SERVICE_URL,
    from: fromAccount(from),
    recipient: { id: BOT_ID, name: BOT_NAME },
    conversation,
    channelData,
    locale: 'en-US',
  } as Partial<Activity>;
}

/** A chat message to the bot: 1:1 by default, or in a channel with an @mention of the bot. */
export function message(text: string, from: From, opts: MessageOptions = {}): Partial<Activity> {
  const activity = base('message', from, opts);
  if (opts.channel === undefined || opts.mentionBot === false) {
    return { ...activity, text, textFormat: 'plain' };
  }
  const mention = `<at>${BOT_NAME}</at>`;
  return {
    ...activity,
    text: `${mention} ${text}`,
    textFormat: 'plain',
    entities: [{ type: 'mention', text: mention, mentioned: { id: BOT_ID, name: BOT_NAME } }],
  };
}

/** A click on an `Action.Execute` button: Teams' `adaptiveCard/action` invoke. */
export function invoke(
  verb: string,
  data: Record<string, unknown>,
  from: From,
  opts: InvokeOptions = {},
): Partial<Activity> {
  return {
    ...base('invoke', from, opts),
    name: 'adaptiveCard/action',
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
    replyToId: opts.replyToId ?? `r:${randomUUID()}`,
  };
}

/** A member the bot sees joining: `'bot'` for the bot itself, else a user. */
export type MemberAdded = From | 'bot';

/** Members joined the conversation; `['bot']` is the app being installed in personal scope. */
export function conversationUpdate(
  membersAdded: readonly MemberAdded[],
  from: From,
  opts: ActivityOptions = {},
): Partial<Activity> {
  return {
    ...base('conversationUpdate', from, opts),
    membersAdded: membersAdded.map((member) =>
      member === 'bot' ? { id: BOT_ID, name: BOT_NAME } : fromAccount(member),
    ),
  };
}

/** The app was added to (or removed from) the sender's personal scope or a team. */
export function installationUpdate(
  from: From,
  action: 'add' | 'remove' = 'add',
  opts: ActivityOptions = {},
): Partial<Activity> {
  return { ...base('installationUpdate', from, opts), action };
}

/** What the bot answered over HTTP: the invoke response body, or nothing for messages. */
export interface PostResult {
  status: number;
  body: unknown;
}

/** Posts an activity to `{botUrl}/api/messages` the way the Bot Connector service would. */
export async function postActivity(
  botUrl: string,
  activity: Partial<Activity>,
  headers: Record<string, string> = {},
): Promise<PostResult> {
  const response = await fetch(
    new URL('api/messages', botUrl.endsWith('/') ? botUrl : `${botUrl}/`),
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(activity),
    },
  );
  const text = await response.text();
  let body: unknown = text === '' ? undefined : text;
  try {
    if (text !== '') body = JSON.parse(text) as unknown;
  } catch {
    // Not JSON: the raw text is the most useful thing to show in a failing assertion.
  }
  return { status: response.status, body };
}
