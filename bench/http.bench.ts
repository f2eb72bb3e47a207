/**
 * Whole turns over HTTP against the directory and connector emulators on loopback: what a person
 * waits for, minus the network to Microsoft.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { bench, describe } from 'vitest';
import { startScenario, PEOPLE } from '../test/support/scenario.js';

// Vitest runs no hooks in benchmark mode: set up at load, clean up when the worker exits (its
// loopback servers end with it).
const s = await startScenario({ env: { LOG_LEVEL: 'warn' } });
process.once('exit', () => rmSync(dirname(s.h.sqlitePath), { recursive: true, force: true }));
const { requestId } = await s.submitLostPhone(PEOPLE.ava);
let done = false;

describe('turns over HTTP', () => {
  bench('"help" in a 1:1 chat', async () => {
    await s.say(PEOPLE.hugo, 'help');
  });

  bench('tick a check on the channel card (role from Graph, compare-and-swap, audit)', async () => {
    done = !done;
    await s.click(
      PEOPLE.hugo,
      'toggleCheck',
      { requestId, check: 'callback', done },
      s.channelCard(),
    );
    await s.settle();
  });
});
