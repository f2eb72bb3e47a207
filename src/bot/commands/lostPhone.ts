import { offerLostPhone } from '../../flows/offerLostPhone.js';
import type { Command } from '../types.js';

/** The ways people say their MFA phone is gone. */
const LOST_PHONE =
  /\b(lost|lose|broke|broken|stolen|smashed|dead|reset|wiped)\b.*\b(phone|mobile|iphone|android|authenticator)\b|\b(phone|mobile|authenticator)\b.*\b(lost|broken|stolen|gone)\b|can'?t (approve|sign in|get in|log in)|cannot (approve|sign in|get in|log in)|no access to (my )?(phone|authenticator)/;

export const lostPhoneCommand: Command = {
  name: 'lost phone',
  description: 'Your phone with Microsoft Authenticator is lost or broken: get a one-time pass',
  scopes: ['personal'],
  matches: (text) => text === 'lost phone' || LOST_PHONE.test(text),
  async handle(turn, services) {
    const from = turn.activity.from;
    if (!from.aadObjectId) {
      await turn.sendActivity(
        'I cannot tell who you are from this chat. Please call the helpdesk.',
      );
      return;
    }
    const card = await offerLostPhone(services, { id: from.aadObjectId, name: from.name ?? '' });
    await turn.sendActivity({ attachments: [card] });
  },
};
