import { randomUUID } from 'node:crypto';
import {
  TeamsActivityHandler,
  TurnContext,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  type InvokeResponse,
} from 'botbuilder';
import { z } from 'zod';
import { renderCard } from '../cards.js';
import { errorSummary } from '../logger.js';
import type { Services } from '../services.js';
import { ACTIONS } from './actions/index.js';
import { COMMANDS } from './commands/index.js';
import { scopeOf } from './commands/help.js';
import { errorResponse, cardResponse } from './invokeResponses.js';
import type { CardAction, Command } from './types.js';
import type { Verb } from './verbs.js';

/** Teams caps a message near 28 KB; anything this long is not a person asking for help. */
export const MAX_TEXT_LENGTH = 4000;

/** The part of an `adaptiveCard/action` invoke TapDesk reads; everything else is ignored. */
const actionInvokeSchema = z.object({
  action: z.object({
    type: z.literal('Action.Execute'),
    verb: z.string().min(1).max(100),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
});

const clickerSchema = z.object({ aadObjectId: z.string().min(1), name: z.string().optional() });

const channelDataSchema = z.object({
  channel: z.object({ id: z.string().regex(/^19:[^;]+$/) }),
});

/** The channel (`19:…@thread.tacv2`) an activity came from, without any thread suffix. */
const channelIdOf = (channelData: unknown): string | undefined => {
  const parsed = channelDataSchema.safeParse(channelData);
  return parsed.success ? parsed.data.channel.id : undefined;
};

/** The sentence a person reads when something broke on TapDesk's side. */
export const sorryText = (reference: string) =>
  `Sorry, something went wrong on my side and nothing was changed. Please try again; if it keeps happening, give the helpdesk this reference: ${reference}.`;

/**
 * Routes Teams activities: text to a command, card clicks to the action for their verb.
 * Roles are never read from here; flows decide them from the directory at each action.
 */
export class TapDeskBot extends TeamsActivityHandler {
  constructor(
    private readonly services: Services,
    private readonly commands: readonly Command[] = COMMANDS,
    private readonly actions: ReadonlyMap<Verb, CardAction> = ACTIONS,
  ) {
    super();

    this.onTurn(async (turn, next) => {
      // Remembering where someone is must not stop what they asked for: the action itself
      // reports a store outage in words, and the reference is saved again on their next turn.
      await this.rememberConversation(turn).catch((error: unknown) =>
        this.services.logger.warn(
          { error: errorSummary(error) },
          'could not remember a conversation reference',
        ),
      );
      await next();
    });

    this.onMessage(async (turn, next) => {
      await this.handleMessage(turn);
      await next();
    });

    this.onMembersAdded(async (turn, next) => {
      const botAdded = (turn.activity.membersAdded ?? []).some(
        (member) => member.id === turn.activity.recipient.id,
      );
      if (botAdded && scopeOf(turn) === 'personal') await this.welcome(turn);
      await next();
    });
  }

  private async welcome(turn: TurnContext): Promise<void> {
    const firstName = (turn.activity.from.name ?? '').split(' ')[0] || 'there';
    await turn.sendActivity({ attachments: [renderCard('welcome', { firstName })] });
  }

  /**
   * Keeps the latest reference of each 1:1 chat (per user) and each channel (per channel id), so
   * the bot can reach them later through the connector that serves them.
   *
   * @remarks Teams gives each conversation its own `serviceUrl` (regional), and the reference
   * carries it; a channel thread's activity names its channel in `channelData.channel.id`.
   */
  private async rememberConversation(turn: TurnContext): Promise<void> {
    const { activity } = turn;
    const type = activity.conversation?.conversationType;
    if (type === 'personal') {
      const user = activity.from?.aadObjectId;
      if (!user) return;
      await this.services.store.saveConversationRef(
        { user },
        TurnContext.getConversationReference(activity),
      );
    } else if (type === 'channel') {
      const channel = channelIdOf(activity.channelData);
      if (channel === undefined) return;
      await this.services.store.saveConversationRef(
        { channel },
        TurnContext.getConversationReference(activity),
      );
    }
  }

  private async handleMessage(turn: TurnContext): Promise<void> {
    const raw = typeof turn.activity.text === 'string' ? turn.activity.text : '';
    if (raw.length > MAX_TEXT_LENGTH) {
      await turn.sendActivity(
        'That message is too long for me to read. Tell me in a few words what happened, for example "I lost my phone", or type help.',
      );
      return;
    }
    const text = TurnContext.removeRecipientMention(turn.activity)
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .toLowerCase();
    if (!text) return;
    const scope = scopeOf(turn);
    const command = this.commands.find((c) => c.scopes.includes(scope) && c.matches(text));
    if (command) {
      await command.handle(turn, this.services, text);
      return;
    }
    await turn.sendActivity(
      scope === 'personal'
        ? `I didn't catch that. Type help to see what I can do.`
        : `I didn't catch that. Mention me with help to see the channel commands.`,
    );
  }

  /** Validates the invoke before botbuilder reads it, so a malformed one is a 400, not a crash. */
  protected override async onInvokeActivity(turn: TurnContext): Promise<InvokeResponse> {
    if (turn.activity.name === 'adaptiveCard/action') {
      const parsed = actionInvokeSchema.safeParse(turn.activity.value);
      if (!parsed.success) {
        const body = errorResponse(400, 'BadRequest', 'This card action is malformed.');
        return { status: 400, body };
      }
    }
    return super.onInvokeActivity(turn);
  }

  protected override async onAdaptiveCardInvoke(
    turn: TurnContext,
    value: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    const action = this.actions.get(value.action.verb as Verb);
    if (!action) {
      this.services.logger.warn({ verb: value.action.verb }, 'unknown card action verb');
      return errorResponse(
        400,
        'BadRequest',
        `TapDesk does not know the action "${value.action.verb}".`,
      );
    }
    const clicker = clickerSchema.safeParse(turn.activity.from);
    if (!clicker.success) {
      return errorResponse(
        400,
        'BadRequest',
        'This click carries no Microsoft Entra user, so TapDesk cannot tell who you are.',
      );
    }
    try {
      return await action.handle({
        turn,
        from: { id: clicker.data.aadObjectId, name: clicker.data.name ?? 'Unknown user' },
        data: (value.action.data ?? {}) as Record<string, unknown>,
        services: this.services,
      });
    } catch (error) {
      const reference = randomUUID();
      this.services.logger.error(
        { error: errorSummary(error), reference, verb: value.action.verb },
        'card action failed',
      );
      return cardResponse(
        renderCard('notice', {
          title: 'Something went wrong',
          text: 'Sorry, something went wrong on my side and nothing was changed. Please try again; if it keeps happening, give the helpdesk the reference below.',
          tone: 'attention',
          reference,
        }),
      );
    }
  }
}
