/**
 * The one place that wires concrete adapters together: config in, a running TapDesk out.
 */
import { randomUUID } from 'node:crypto';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { TapDeskBot, sorryText } from './bot/tapDeskBot.js';
import { usesLocalGraph, type Config } from './config.js';
import { createGraphCredential, GraphDirectory } from './graph/graphDirectory.js';
import { errorSummary, type Logger } from './logger.js';
import { Background } from './background.js';
import { startServer } from './server.js';
import { sweep } from './flows/sweep.js';
import type { Services } from './services.js';
import { openStore } from './store/openStore.js';
import { TeamsMessenger } from './teams/messenger.js';
import { tenantGuard } from './teams/tenantGuard.js';

export interface TapDeskOptions {
  logger: Logger;
  now?: () => Date;
  /** Overrides `SWEEP_INTERVAL_SECONDS` (tests run the sweep themselves). */
  sweepIntervalMs?: number;
}

export interface RunningTapDesk {
  url: string;
  services: Services;
  /** One pass of the periodic check (expiry, pass-card scrub, completion); also runs by timer. */
  sweep(): Promise<void>;
  /** Graceful stop: drain in-flight turns (bounded), then close the store. */
  close(drainMs?: number): Promise<void>;
}

function createAdapter(config: Readonly<Config>, logger: Logger): CloudAdapter {
  const adapter = new CloudAdapter(
    new ConfigurationBotFrameworkAuthentication({
      MicrosoftAppId: config.bot.appId,
      MicrosoftAppPassword: config.bot.appPassword,
      // botbuilder insists on an app id for SingleTenant; local mode has none and checks no tokens.
      MicrosoftAppType: config.bot.appId ? config.bot.appType : 'MultiTenant',
      MicrosoftAppTenantId: config.bot.appTenantId,
    }),
  );
  adapter.use(tenantGuard(config.tenantId, logger));
  adapter.onTurnError = async (turn, error) => {
    const reference = randomUUID();
    logger.error(
      { error: errorSummary(error), reference, type: turn.activity.type },
      'turn failed',
    );
    try {
      await turn.sendActivity(sorryText(reference));
    } catch (sendError) {
      logger.error(
        { error: errorSummary(sendError), reference },
        'could not tell the user about the failure',
      );
    }
  };
  return adapter;
}

export async function startTapDesk(
  config: Readonly<Config>,
  options: TapDeskOptions,
): Promise<RunningTapDesk> {
  const { logger } = options;
  const now = options.now ?? (() => new Date());
  const store = await openStore(config, now, logger);
  const directory = new GraphDirectory({
    baseUrl: config.graph.baseUrl,
    credential: usesLocalGraph(config) ? undefined : createGraphCredential(config.graph),
    logger,
  });
  const adapter = createAdapter(config, logger);
  const messenger = new TeamsMessenger({
    adapter,
    appId: config.bot.appId,
    tenantId: config.tenantId,
    serviceUrl: config.teams.serviceUrl,
    teamsAppId: config.teams.appId,
    refs: store,
    directory,
    logger,
  });
  const background = new Background(logger);
  const services: Services = { config, store, directory, messenger, logger, now, background };
  const bot = new TapDeskBot(services);
  const server = await startServer({
    host: config.localMode ? '127.0.0.1' : '0.0.0.0',
    port: config.port,
    adapter,
    bot,
    store,
    directory,
    logger,
  });
  // One sweep at a time per instance; a slow one is not overlapped by the next tick, and
  // shutdown waits for the one in progress before the store closes.
  let sweeping: Promise<void> | undefined;
  const timer = setInterval(
    () => {
      if (sweeping) return;
      sweeping = sweep(services)
        .catch((error: unknown) =>
          logger.warn({ error: errorSummary(error) }, 'periodic sweep failed'),
        )
        .finally(() => (sweeping = undefined));
    },
    options.sweepIntervalMs ?? config.sweepIntervalSeconds * 1000,
  );
  timer.unref();
  return {
    url: server.url,
    services,
    sweep: () => sweep(services),
    async close(drainMs) {
      clearInterval(timer);
      await server.close(drainMs);
      await sweeping;
      await background.idle(drainMs ?? 10_000);
      await store.close();
    },
  };
}
