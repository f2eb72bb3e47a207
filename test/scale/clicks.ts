/**
 * Clicks for tests that drive several TapDesk instances against one connector emulator: each
 * activity is built once and may be posted to any instance (the load balancer's choice).
 */
import { HELPDESK_CHANNEL, invoke, postActivity, type From } from '../support/activities.js';
import type { ConnectorEmulator } from '../support/connectorEmulator.js';
import { textOf } from '../support/scenario.js';

export type Click = ReturnType<typeof invoke>;

export function clicksOn(connector: ConnectorEmulator) {
  return {
    /** Posts an activity to one instance; the answer's JSON as text for `toContain` checks. */
    post: (botUrl: string, activity: Click) =>
      postActivity(botUrl, activity).then((r) => ({ ...r, text: textOf(r.body) })),

    /** A click in `who`'s 1:1 chat, on the card with activity id `replyToId`. */
    personal: (who: From, verb: string, data: Record<string, unknown>, replyToId?: string) =>
      invoke(verb, data, who, {
        serviceUrl: connector.url,
        conversationId: `a:personal-${who.aadObjectId}`,
        ...(replyToId ? { replyToId } : {}),
      }),

    /** A click on the (one) request card in the helpdesk channel. */
    onChannelCard(who: From, verb: string, data: Record<string, unknown>): Click {
      const created = connector.log.find(
        (e) => e.op === 'create' && e.conversationId.startsWith(`${HELPDESK_CHANNEL};`),
      );
      if (!created) throw new Error('no channel card was posted');
      return invoke(verb, data, who, {
        serviceUrl: connector.url,
        conversationId: created.conversationId,
        replyToId: created.activityId,
        channel: HELPDESK_CHANNEL,
      });
    },
  };
}
