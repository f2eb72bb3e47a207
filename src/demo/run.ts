/**
 * `npm run demo`: TapDesk in local mode against the demo directory, with the Microsoft 365
 * Agents Playground as the requester. Everything listens on 127.0.0.1; Ctrl-C stops it all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.js';
import { startTapDesk } from '../index.js';
import { createLogger } from '../logger.js';
import { demoEnv } from './demoConfig.js';
import { startDirectoryEmulator } from './directoryEmulator.js';
import { loadDemoTenant } from './tenantSeed.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BOT_PORT = Number(process.env.PORT ?? 3978);
const PLAYGROUND_PORT = Number(process.env.PLAYGROUND_PORT ?? 56150);

const directory = await startDirectoryEmulator({ seed: loadDemoTenant() });
mkdirSync(join(root, 'data'), { recursive: true });
const result = loadConfig({
  ...demoEnv({
    graphBaseUrl: directory.url,
    serviceUrl: `http://127.0.0.1:${PLAYGROUND_PORT}/_connector`,
    sqlitePath: join(root, 'data', 'demo.sqlite'),
    port: BOT_PORT,
  }),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
});
if (!result.ok) {
  for (const problem of result.problems) console.error(`config: ${problem}`);
  process.exit(1);
}
const logger = createLogger(result.config.logLevel);
const tapdesk = await startTapDesk(result.config, { logger });

const playgroundCli = createRequire(import.meta.url).resolve(
  '@microsoft/m365agentsplayground/cli.js',
);
const playground: ChildProcess = spawn(
  process.execPath,
  [
    playgroundCli,
    '-e',
    `${tapdesk.url}/api/messages`,
    '-c',
    'msteams',
    '-p',
    String(PLAYGROUND_PORT),
    '--dt',
  ],
  {
    cwd: join(root, 'demo', 'requester'),
    stdio: ['pipe', 'inherit', 'inherit'],
    // The Playground tries to open a browser and exits when it cannot; demo/bin answers instead.
    env: { ...process.env, PATH: `${join(root, 'demo', 'bin')}:${process.env.PATH ?? ''}` },
  },
);

console.log(`
TapDesk demo
  bot                ${tapdesk.url}/api/messages  (local mode, demo tenant)
  directory (Graph)  ${directory.url}/v1.0
  Playground         http://127.0.0.1:${PLAYGROUND_PORT}  — you are Ava Employee; type "help"
Press Ctrl-C to stop.
`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  playground.kill('SIGTERM');
  await tapdesk.close(2000);
  await directory.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
playground.on('exit', (code) => {
  if (!stopping) {
    console.error(`The Agents Playground stopped (exit code ${code}); stopping the demo.`);
    void stop();
  }
});
