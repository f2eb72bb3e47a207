import type { AdaptiveCardInvokeResponse, TurnContext } from 'botbuilder';
import type { Person } from '../domain/request.js';
import type { Services } from '../services.js';
import type { Verb } from './verbs.js';

/** Where a command may be used: a 1:1 chat with the bot, or a team channel. */
export type Scope = 'personal' | 'team';

/** A text command, e.g. `help` or `queue`. One file per command in `commands/`. */
export interface Command {
  name: string;
  description: string;
  scopes: readonly Scope[];
  /** Whether the (trimmed, lower-cased, mention-free) text asks for this command. */
  matches(text: string): boolean;
  /** `text` is what `matches` saw: trimmed, lower-cased, without the mention. */
  handle(turn: TurnContext, services: Services, text: string): Promise<void>;
}

/** One `Action.Execute` click, with everything the handler may trust. */
export interface ActionRequest {
  turn: TurnContext;
  /** The clicker, from the activity's `from.aadObjectId` — never from card data. */
  from: Person;
  /** Card data: untrusted, to be parsed before use. */
  data: Record<string, unknown>;
  services: Services;
}

/** One `Action.Execute` verb and its handler. One file per verb in `actions/`. */
export interface CardAction {
  verb: Verb;
  handle(request: ActionRequest): Promise<AdaptiveCardInvokeResponse>;
}
