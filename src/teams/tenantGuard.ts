import { ActivityTypes, type Middleware, type TurnContext } from 'botbuilder';
import type { Logger } from '../logger.js';

/** The tenant an activity comes from, as Teams states it. */
export function tenantOf(turn: TurnContext): string | undefined {
  const channelData = turn.activity.channelData as { tenant?: { id?: unknown } } | undefined;
  const fromChannelData =
    typeof channelData?.tenant?.id === 'string' ? channelData.tenant.id : undefined;
  return turn.activity.conversation?.tenantId ?? fromChannelData;
}

/**
 * Serves only the configured tenant. Anything else is logged and dropped before any handler
 * runs; an invoke gets a 403 so the sender's client shows an error instead of waiting.
 */
export function tenantGuard(tenantId: string, logger: Logger): Middleware {
  return {
    async onTurn(turn, next) {
      const tenant = tenantOf(turn);
      if (tenant?.toLowerCase() === tenantId.toLowerCase()) {
        await next();
        return;
      }
      logger.warn(
        { tenant: tenant ?? null, type: turn.activity.type, from: turn.activity.from?.aadObjectId },
        'refused an activity from another tenant',
      );
      if (turn.activity.type === ActivityTypes.Invoke) {
        await turn.sendActivity({
          type: ActivityTypes.InvokeResponse,
          value: {
            status: 403,
            body: { code: 'Forbidden', message: 'TapDesk serves only its own organisation.' },
          },
        });
      }
    },
  };
}
