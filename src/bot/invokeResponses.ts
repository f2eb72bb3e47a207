import type { AdaptiveCardInvokeResponse, Attachment } from 'botbuilder';

/**
 * The three shapes an `adaptiveCard/action` answer takes in Teams.
 * @remarks Teams replaces the clicked card with a `card` answer for the clicker only; other viewers
 * keep seeing the old card until the bot updates the activity itself.
 */
export const cardResponse = (card: Attachment) =>
  ({
    statusCode: 200,
    type: 'application/vnd.microsoft.card.adaptive',
    value: card.content as Record<string, unknown>,
  }) satisfies AdaptiveCardInvokeResponse;

/** A short text Teams shows next to the card, which stays as it is. */
export const messageResponse = (text: string): AdaptiveCardInvokeResponse =>
  // The schema types `value` as an object, but Teams expects the message text itself here.
  ({
    statusCode: 200,
    type: 'application/vnd.microsoft.activity.message',
    value: text as unknown as Record<string, unknown>,
  }) satisfies AdaptiveCardInvokeResponse;

export const errorResponse = (
  statusCode: 400 | 403 | 404 | 409 | 500 | 503,
  code: string,
  message: string,
) =>
  ({
    statusCode,
    type: 'application/vnd.microsoft.error',
    value: { code, message },
  }) satisfies AdaptiveCardInvokeResponse;
