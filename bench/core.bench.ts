/**
 * `npm run bench`: how fast the pieces on every click are. Numbers are for comparing changes on
 * one machine; no test asserts a time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { renderCard } from '../src/cards.js';
import { transition } from '../src/domain/stateMachine.js';
import { channelCardData } from '../src/flows/requestCards.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { aRequest as aNewRequest } from '../test/support/factories.js';
import { aRequest } from '../test/support/requestFactory.js';

const hugo = {
  id: 'a0000000-0000-4000-8000-000000000003',
  name: 'Hugo Helpdesk',
  isHelpdesk: true,
};

describe('domain and cards', () => {
  const request = aRequest({ attestation: 'confirmed' });
  const now = new Date();
  bench('state machine: tick a verification check', () => {
    transition(request, { type: 'tick', check: 'callback', done: true }, hugo, now);
  });
  bench('render the helpdesk channel card', () => {
    renderCard('channelRequest', channelCardData(request));
  });
});

describe('SQLite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapdesk-bench-'));
  const store = SqliteStore.open(join(dir, 'bench.sqlite'));
  // Vitest runs no hooks in benchmark mode.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  bench('create a request, then compare-and-swap it twice', async () => {
    const created = await store.createRequest(aNewRequest());
    const once = await store.updateRequest({
      ...created,
      assignee: { id: hugo.id, name: hugo.name },
    });
    await store.updateRequest({ ...once, state: 'awaiting_approval' });
  });
  bench('append an audit event', async () => {
    await store.appendAudit({
      at: new Date().toISOString(),
      requestId: null,
      kind: null,
      actor: { id: hugo.id, name: hugo.name },
      action: 'bench',
      outcome: 'ok',
      reason: null,
    });
  });
});
