import type { TurnContext } from 'botbuilder';
import { renderCard } from '../../cards.js';
import type { Command, Scope } from '../types.js';

/** The help card for where the person is: a 1:1 chat or a channel. */
export function helpCard(commands: readonly Command[], scope: Scope) {
  return renderCard('help', {
    commands: commands
      .filter((command) => command.scopes.includes(scope))
      .map(({ name, description }) => ({ name, description })),
    footer:
      scope === 'personal'
        ? 'TapDesk never asks for your password and never turns MFA off. A helpdesk agent will call you on the number in the company directory.'
        : 'Request cards arrive in this channel; approve only after the checks on the card are done.',
  });
}

export const scopeOf = (turn: TurnContext): Scope =>
  turn.activity.conversation?.conversationType === 'personal' ? 'personal' : 'team';

/** Built with the full command list, so help always lists every command there is. */
export function helpCommand(all: () => readonly Command[]): Command {
  return {
    name: 'help',
    description: 'Show what TapDesk can do here',
    scopes: ['personal', 'team'],
    matches: (text) => /^(help|\?|what can you do)\b/.test(text),
    async handle(turn) {
      await turn.sendActivity({ attachments: [helpCard(all(), scopeOf(turn))] });
    },
  };
}
