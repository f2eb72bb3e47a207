/**
 * Every `Action.Execute` verb, once. Handlers, card templates and tests all use these names;
 * a test checks that each verb in `cards/*.json` has a handler.
 */
export const VERBS = {
  help: 'help',
  lostPhone: 'lostPhone',
  submitLostPhone: 'submitLostPhone',
  dismissOffer: 'dismissOffer',
  attestConfirm: 'attestConfirm',
  attestCannot: 'attestCannot',
  attestSuspicious: 'attestSuspicious',
  toggleCheck: 'toggleCheck',
  reviewFlags: 'reviewFlags',
  assign: 'assign',
  unassign: 'unassign',
  approve: 'approve',
  retryIssue: 'retryIssue',
  deny: 'deny',
  deliver: 'deliver',
  revoke: 'revoke',
  finishRecovery: 'finishRecovery',
  removeOldDevice: 'removeOldDevice',
  cancelRequest: 'cancelRequest',
  newPhone: 'newPhone',
  startPlannedChange: 'startPlannedChange',
  tickStep: 'tickStep',
  removeDevice: 'removeDevice',
  requestBackupPass: 'requestBackupPass',
  requestNewHirePass: 'requestNewHirePass',
} as const;

export type Verb = (typeof VERBS)[keyof typeof VERBS];
