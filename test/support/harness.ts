/**
 * A whole TapDesk on loopback: the real server in local mode, the directory emulator with the
 * demo tenant, a connector emulator, a temp SQLite file, and every log line captured.
 */
import type { Activity } from 'botbuilder';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Env } from '../../src/config.js';
import { demoEnv } from '../../src/demo/demoConfig.js';
import {
  startDirectoryEmulator,
  type DirectoryEmulator,
} from '../../src/demo/directoryEmulator.js';
import { loadDemoTenant } from '../../src/demo/tenantSeed.js';
import { startTapDesk, type RunningTapDesk } from '../../src/index.js';
import { createLogger } from '../../src/logger.js';
import { postActivity, type PostResult } from './activities.js';
import { startConnectorEmulator, type ConnectorEmulator } from './connectorEmulator.js';

export interface Harness {
  bot: RunningTapDesk;
  directory: DirectoryEmulator;
  connector: ConnectorEmulator;
  /** Every JSON log line the bot wrote. */
  logs: string[];
  sqlitePath: string;
  post(activity: Partial<Activity>, headers?: Record<string, string>): Promise<PostResult>;
  /** Everything on disk in the store (database, WAL and shared-memory files) as text. */
  storeFiles(): string;
  /** Stops the bot only (the emulators and the file stay), for restart tests. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Env;
  now?: () => Date;
  /** Default one hour: tests run the sweep themselves with `bot.sweep()`. */
  sweepIntervalMs?: number;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const directory = await startDirectoryEmulator({ seed: loadDemoTenant() });
  const connector = await startConnectorEmulator();
  const dir = mkdtempSync(join(tmpdir(), 'tapdesk-'));
  const sqlitePath = join(dir, 'tapdesk.sqlite');
  const logs: string[] = [];
  const env = {
    ...demoEnv({ graphBaseUrl: directory.url, serviceUrl: connector.url, sqlitePath, port: 0 }),
    LOG_LEVEL: 'debug',
    ...options.env,
  };
  const result = loadConfig(env);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  const config = result.config;
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(line) });
  const start = () =>
    startTapDesk(config, {
      logger,
      now: options.now,
      sweepIntervalMs: options.sweepIntervalMs ?? 3_600_000,
    });

  const harness: Harness = {
    bot: await start(),
    directory,
    connector,
    logs,
    sqlitePath,
    post: (activity, headers) => postActivity(harness.bot.url, activity, headers),
    storeFiles: () =>
      ['', '-wal', '-shm']
        .map((suffix) => {
          try {
            return readFileSync(sqlitePath + suffix).toString('latin1');
          } catch {
            return '';
          }
        })
        .join('\n'),
    async restart() {
      await harness.bot.close();
      harness.bot = await start();
    },
    async close() {
      await harness.bot.close();
      await Promise.all([directory.close(), connector.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
