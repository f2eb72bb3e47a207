import type { Attachment } from 'botbuilder';
import { renderCard } from '../cards.js';
import type { Person } from '../domain/request.js';
import { phoneEnding } from '../domain/wording.js';
import type { Services } from '../services.js';
import { assessRequester } from './assessRequester.js';

/**
 * "I lost my phone": checks eligibility and shows what will happen, with Submit and Cancel, or
 * says plainly why TapDesk cannot help and who can.
 */
export async function offerLostPhone(services: Services, person: Person): Promise<Attachment> {
  const assessment = await assessRequester(services, person);
  if (!assessment.ok) {
    return renderCard('notice', {
      title: 'TapDesk cannot help with this',
      text: assessment.message,
      tone: 'warning',
    });
  }
  const { user, manager } = assessment.profile;
  const ending = phoneEnding(user.mobilePhone ?? user.businessPhones[0] ?? null);
  const steps = [
    manager
      ? `1. ${manager.displayName}, your manager in the directory, is asked to confirm it's really you. Expect a call or video call from them.`
      : '1. The directory shows no manager for you, so the helpdesk verifies you on their own.',
    ending
      ? `2. A helpdesk agent calls you at the number on file ending in ${ending}. If that number is wrong, cancel and call the helpdesk instead.`
      : '2. The directory has no phone number for you, so the helpdesk will arrange to meet you in person or on video.',
    '3. The agent reads you a one-time Temporary Access Pass. Never share it with anyone.',
    '4. You sign in with it and set up Microsoft Authenticator on your new phone; I guide you step by step.',
  ];
  return renderCard('lostPhoneOffer', {
    firstName: user.displayName.split(' ')[0] ?? user.displayName,
    steps: steps.map((text) => ({ text })),
  });
}
