/**
 * `npm run demo`: TapDesk in local mode against the demo directory, with one Microsoft 365 Agents
 * Playground per person (Ava the requester, Maya her manager, Hugo the helpdesk agent). Everything
 * listens on 127.0.0.1; Ctrl-C stops it all.
 *
 * `PORT` moves the bot (default 3978); `PLAYGROUND_PORT` moves the three Playgrounds to it and the
 * next two ports (default 56150).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../logger.js';
import { DEFAULT_PLAYGROUND_PORTS, demoGuide, startDemo, type RunningDemo } from './startDemo.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const base = Number(process.env.PLAYGROUND_PORT ?? DEFAULT_PLAYGROUND_PORTS.requester);

// Each Playground forgets its chats when it stops, so the demo starts from an empty store too.
const sqlitePath = join(root, 'data', 'demo.sqlite');
mkdirSync(dirname(sqlitePath), { recursive: true });
for (const suffix of ['', '-wal', '-shm']) rmSync(sqlitePath + suffix, { force: true });
// The Playgrounds log every message they carry, passes included: keep that out of the project.
const logDir = mkdtempSync(join(tmpdir(), 'tapdesk-demo-'));

let demo: RunningDemo;
try {
  demo = await startDemo({
    botPort: Number(process.env.PORT ?? 3978),
    playgroundPorts: { requester: base, manager: base + 1, agent: base + 2 },
    sqlitePath,
    logDir,
    logger: createLogger(process.env.LOG_LEVEL ?? 'warn'),
    logLevel: process.env.LOG_LEVEL ?? 'warn',
  });
} catch (error) {
  console.error(`The demo could not start: ${error instanceof Error ? error.message : error}`);
  // A Playground that failed to start left its log there, and the message names it.
  if (readdirSync(logDir).length === 0) rmSync(logDir, { recursive: true, force: true });
  process.exit(1);
}

console.log(`\n${demoGuide(demo)}\n`);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  await demo.close();
  rmSync(logDir, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
void demo.playgroundStopped.then(({ role, code }) => {
  if (stopping) return;
  console.error(`The ${role}'s Agents Playground stopped (exit code ${code}); stopping the demo.`);
  void stop(1);
});
