/**
 * The three-role demo: TapDesk in local mode against the demo directory, and one Microsoft 365
 * Agents Playground per person (requester, manager, helpdesk agent), each its own Teams client
 * with its own connector. `npm run demo` and the browser test both start it from here.
 */
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.js';
import { startTapDesk, type RunningTapDesk } from '../index.js';
import type { Logger } from '../logger.js';
import { demoEnv } from './demoConfig.js';
import { startDirectoryEmulator, type DirectoryEmulator } from './directoryEmulator.js';
import { startPlayground, type RunningPlayground } from './playground.js';
import { DEMO, loadDemoTenant } from './tenantSeed.js';

/** The three people a newcomer plays, each in their own Playground. */
export type DemoRole = 'requester' | 'manager' | 'agent';

/** One person of the demo: who they are, where their Playground config lives, what they do. */
export interface DemoPerson {
  /** Folder (from the project root) holding their `.m365agentsplayground.yml`. */
  folder: string;
  name: string;
  aadObjectId: string;
  /** What they are in the story. */
  part: string;
  /** What to do in their tab during the lost-phone walk-through. */
  todo: string;
}

export const DEMO_PEOPLE: Readonly<Record<DemoRole, DemoPerson>> = {
  requester: {
    folder: 'demo/requester',
    name: 'Ava Employee',
    aadObjectId: DEMO.users.ava,
    part: 'lost her phone',
    todo: 'type "I lost my phone" in Personal Chat, then press Submit.',
  },
  manager: {
    folder: 'demo/manager',
    name: 'Maya Manager',
    aadObjectId: DEMO.users.maya,
    part: "Ava's manager",
    todo: `press "I confirm it's them" on the card that arrives in Personal Chat.`,
  },
  agent: {
    folder: 'demo/agent',
    name: 'Hugo Helpdesk',
    aadObjectId: DEMO.users.hugo,
    part: 'helpdesk agent',
    todo:
      'in the Helpdesk channel (under Teams Channel) press Done on both checks of the request ' +
      'card, then "Approve & create pass". The pass arrives in his Personal Chat: press ' +
      'Delivered once it is read out.',
  },
};

/** The order in which the Playgrounds start and are listed. */
export const DEMO_ROLES: readonly DemoRole[] = ['requester', 'manager', 'agent'];

export const DEFAULT_PLAYGROUND_PORTS: Readonly<Record<DemoRole, number>> = {
  requester: 56150,
  manager: 56151,
  agent: 56152,
};

/** Where the demo listens, and where it keeps its files. */
export interface DemoOptions {
  /** The bot's port; default 3978. `0` picks a free one. */
  botPort?: number;
  /** Default {@link DEFAULT_PLAYGROUND_PORTS}. `0` picks a free one; others must be free. */
  playgroundPorts?: Partial<Record<DemoRole, number>>;
  /** The store file (SQLite). */
  sqlitePath: string;
  /**
   * Folder for the Playgrounds' logs. They hold every activity they carried, passes included,
   * so it belongs in a temporary folder that is removed afterwards.
   */
  logDir: string;
  logger: Logger;
  /** Default 'warn'. */
  logLevel?: string;
}

/** A running demo and its parts, for the person at the keyboard or a test. */
export interface RunningDemo {
  bot: RunningTapDesk;
  directory: DirectoryEmulator;
  playgrounds: Record<DemoRole, RunningPlayground>;
  /** Resolves when the first Playground process ends (also when `close` stops them). */
  playgroundStopped: Promise<{ role: DemoRole; code: number | null }>;
  /** Stops everything that started, last first. */
  close(): Promise<void>;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Resolves with `port` once it is known to be free at 127.0.0.1 (`0`: with a free port). */
function claimPort(port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `Port ${port} (${what}) is in use: stop what holds it, or choose another port`
            : `Port ${port} (${what}) cannot be used: ${error.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const free = typeof address === 'object' && address !== null ? address.port : port;
      server.close(() => resolve(free));
    });
  });
}

/**
 * Starts the directory, TapDesk and the three Playgrounds. If any part fails to start, what
 * already started is stopped again and the error says what failed.
 *
 * @remarks Each Playground is its own connector, as Teams' regions are: TapDesk answers and
 * updates through the `serviceUrl` of each conversation. `TEAMS_SERVICE_URL`, used for a chat the
 * bot starts by installing the app through Graph, points at the manager's Playground: Maya is the
 * one person TapDesk writes to without having heard from her, and her Playground's chat id is
 * the one the directory reports for that installation.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const stops: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const ports = { ...DEFAULT_PLAYGROUND_PORTS };
    for (const role of DEMO_ROLES) {
      const wanted = options.playgroundPorts?.[role] ?? DEFAULT_PLAYGROUND_PORTS[role];
      ports[role] = await claimPort(wanted, `${DEMO_PEOPLE[role].name}'s Playground`);
    }
    const botPort = await claimPort(options.botPort ?? 3978, 'the bot');

    const directory = await startDirectoryEmulator({ seed: loadDemoTenant() });
    stops.push(() => directory.close());

    const config = loadConfig({
      ...demoEnv({
        graphBaseUrl: directory.url,
        serviceUrl: `http://127.0.0.1:${ports.manager}/_connector`,
        sqlitePath: options.sqlitePath,
        port: botPort,
      }),
      // A Playground holds one team channel besides General, and Hugo's is the helpdesk channel;
      // without a security channel, alerts go there, as in a tenant that has none.
      SECURITY_CHANNEL_ID: '',
      LOG_LEVEL: options.logLevel ?? 'warn',
    });
    if (!config.ok) {
      throw new Error(`The demo configuration is invalid: ${config.problems.join('; ')}`);
    }
    const bot = await startTapDesk(config.config, { logger: options.logger });
    stops.push(() => bot.close(2000));

    const started = await Promise.allSettled(
      DEMO_ROLES.map((role) =>
        startPlayground({
          folder: join(root, DEMO_PEOPLE[role].folder),
          botEndpoint: `${bot.url}/api/messages`,
          port: ports[role],
          logFile: join(options.logDir, `playground-${role}.log`),
        }),
      ),
    );
    const playgrounds = {} as Record<DemoRole, RunningPlayground>;
    DEMO_ROLES.forEach((role, i) => {
      const outcome = started[i];
      if (outcome?.status === 'fulfilled') {
        stops.push(() => outcome.value.stop());
        playgrounds[role] = outcome.value;
      }
    });
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;

    const playgroundStopped = Promise.race(
      DEMO_ROLES.map((role) => playgrounds[role].exited.then((code) => ({ role, code }))),
    );
    return { bot, directory, playgrounds, playgroundStopped, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What a newcomer reads once the demo runs: the three tabs and what to do in each. */
export function demoGuide(demo: RunningDemo): string {
  const tabs = DEMO_ROLES.map((role, i) => {
    const person = DEMO_PEOPLE[role];
    return `  ${i + 1}. ${demo.playgrounds[role].url}  ${person.name} (${person.part}): ${person.todo}`;
  });
  return [
    'TapDesk demo: one browser tab per person, all on this machine.',
    '',
    ...tabs,
    '',
    "Open all three tabs first, and the Helpdesk channel in Hugo's: opening them is how TapDesk",
    'learns where each person is, as Teams tells a bot when its app is installed. Type "help" in',
    'any chat to see what TapDesk does there.',
    '',
    `  bot                ${demo.bot.url}/api/messages (local mode, demo tenant)`,
    `  directory (Graph)  ${demo.directory.url}/v1.0`,
    '',
    'Press Ctrl-C to stop.',
  ].join('\n');
}
