import { renderCard, type Fact } from '../cards.js';
import { errorSummary } from '../logger.js';
import type { Services } from '../services.js';

/**
 * Posts an alert to the security channel, or the helpdesk channel when none is configured. An
 * alert that cannot be posted is logged as an error, never silently dropped.
 */
export async function alertSecurity(
  services: Services,
  alert: { title: string; text: string; facts: Fact[] },
): Promise<void> {
  const channel = services.config.security.channelId ?? services.config.helpdesk.channelId;
  try {
    await services.messenger.sendToChannel(channel, {
      attachments: [renderCard('securityAlert', alert)],
    });
  } catch (error) {
    services.logger.error(
      { error: errorSummary(error), channel, title: alert.title },
      'could not post a security alert',
    );
  }
}
