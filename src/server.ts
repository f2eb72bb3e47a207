import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ActivityHandler, CloudAdapter } from 'botbuilder';
import restify from 'restify';
import type { Logger } from './logger.js';
import type { Directory, Store } from './ports.js';

/** Bot Framework activities are small; Teams caps a message near 28 KB. */
const MAX_BODY_BYTES = 256 * 1024;

export interface ServerOptions {
  host: string;
  port: number;
  adapter: CloudAdapter;
  bot: ActivityHandler;
  store: Pick<Store, 'ping'>;
  directory: Pick<Directory, 'ping'>;
  logger: Logger;
  /** How long readiness waits for each dependency. */
  readinessTimeoutMs?: number;
}

export interface RunningServer {
  url: string;
  /** Stops accepting, lets in-flight turns finish (at most `drainMs`), then closes. */
  close(drainMs?: number): Promise<void>;
}

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  const timeout = sleep(ms, undefined, { ref: false }).then(() => {
    throw new Error(`no answer within ${ms} ms`);
  });
  return Promise.race([work, timeout]);
}

async function check(name: string, ms: number, probe: () => Promise<void>, logger: Logger) {
  try {
    await within(ms, probe());
    return 'ok';
  } catch (error) {
    logger.warn({ err: error, dependency: name }, 'readiness check failed');
    return 'unavailable';
  }
}

/**
 * The HTTP edge: `POST /api/messages` through botbuilder's CloudAdapter (which validates the
 * Bot Framework token whenever an app id is configured), `GET /healthz` and `GET /readyz`.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { adapter, bot, logger } = options;
  const server = restify.createServer({ name: 'tapdesk', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: MAX_BODY_BYTES, mapParams: false }));

  let inFlight = 0;
  let draining = false;

  server.post('/api/messages', async (req, res) => {
    if (draining) {
      res.send(503, { error: 'TapDesk is restarting; Teams will retry this shortly.' });
      return;
    }
    inFlight++;
    try {
      await adapter.process(req, res, (turn) => bot.run(turn));
    } catch (error) {
      // A body botbuilder cannot read as an activity: answer once, keep serving.
      logger.warn({ err: error }, 'rejected a malformed activity');
      if (!res.headersSent)
        res.send(400, { error: 'The request body is not a Bot Framework activity.' });
    } finally {
      inFlight--;
    }
  });

  server.get('/healthz', async (_req, res) => {
    res.send(200, { status: 'alive' });
  });

  server.get('/readyz', async (_req, res) => {
    const ms = options.readinessTimeoutMs ?? 3000;
    const [store, graph] = await Promise.all([
      check('store', ms, () => options.store.ping(), logger),
      check('graph', ms, () => options.directory.ping(), logger),
    ]);
    const ready = store === 'ok' && graph === 'ok';
    res.send(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', store, graph });
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url }, 'TapDesk is listening');

  return {
    url,
    async close(drainMs = 10_000) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.server.closeIdleConnections();
      // Bounded: a turn stuck on a slow dependency must not hold the process forever.
      for (let waited = 0; inFlight > 0 && waited < drainMs; waited += 50) await sleep(50);
      if (inFlight > 0) logger.warn({ inFlight }, 'stopped with turns still running');
      server.server.closeAllConnections();
      await closed;
    },
  };
}
