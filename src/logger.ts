import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs. Redaction is a second line of defence: no code path hands a pass to the
 * logger, and any field named like one is censored anyway.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tapdesk' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['temporaryAccessPass', '*.temporaryAccessPass', '*.*.temporaryAccessPass'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** A logger that discards everything, for unit tests that do not look at logs. */
export const silentLogger = (): Logger => pino({ level: 'silent' });

/**
 * An error's name, status and message, for a log line. Never the error itself: a botbuilder
 * `RestError` carries the HTTP request it failed on, and a pass card's request body is the pass.
 */
export function errorSummary(error: unknown): {
  name: string;
  message: string;
  status?: number;
  stack?: string;
} {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const status = (error as { statusCode?: unknown }).statusCode;
  return {
    name: error.name,
    message: error.message,
    ...(typeof status === 'number' ? { status } : {}),
    ...(error.stack ? { stack: error.stack } : {}),
  };
}
