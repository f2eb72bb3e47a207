import { askPlannedChange } from '../../flows/plannedChange.js';
import type { Command } from '../types.js';

/**
 * The ways people say they are about to change phones (while the old one still works). A new
 * phone *number* is a directory change, not this.
 */
const NEW_PHONE =
  /\b(new (phone|iphone|mobile|android|handset)|(chang|replac|upgrad|switch|swap)(e|es|ed|ing|ping)? (my )?(phone|iphone|mobile|handset)s?)\b(?! numbers?\b)/;

export const newPhoneCommand: Command = {
  name: 'new phone',
  description: "You're getting a new phone: a checklist to move Microsoft Authenticator safely",
  scopes: ['personal'],
  matches: (text) => NEW_PHONE.test(text),
  async handle(turn, services) {
    await turn.sendActivity({ attachments: [askPlannedChange(services)] });
  },
};
