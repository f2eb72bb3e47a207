/**
 * Every `Action.Execute` verb, once. Handlers, card templates and tests all use these names;
 * a test checks that each verb in `cards/*.json` has a handler.
 */
export const VERBS = {
  help: 'help',
} as const;

export type Verb = (typeof VERBS)[keyof typeof VERBS];
