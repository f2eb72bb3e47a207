/**
 * Runbook checklists: what a person does, in order, to get their sign-in back. Data, not card
 * JSON; cards render whichever steps apply.
 */

export interface LostPhoneFacts {
  /** Last two digits of the number on file, or null when the directory has none. */
  phoneEnding: string | null;
  /** When the pass stops working, already formatted for a card. */
  expiresAt: string;
  securityInfoUrl: string;
}

/** The requester's checklist once a pass exists for a lost or broken phone. */
export function lostPhoneSteps(facts: LostPhoneFacts): string[] {
  const call = facts.phoneEnding
    ? `Answer the helpdesk's call on your number ending in ${facts.phoneEnding}.`
    : 'Meet the helpdesk agent (in person or on video) to receive the pass.';
  return [
    `1. ${call} Nobody else should ever hear or see the pass.`,
    `2. Before ${facts.expiresAt}, open ${facts.securityInfoUrl} and sign in with the pass where you would approve MFA. It works once.`,
    '3. Straight away, choose "Add sign-in method" › Microsoft Authenticator and set it up on your new phone. Add a second method (a phone number or a security key) too, so one lost phone never locks you out again.',
    '4. Remove the old phone from your sign-in methods, then press "I\'m done" here: TapDesk checks and offers to remove it for you.',
  ];
}
