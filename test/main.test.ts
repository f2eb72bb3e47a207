/**
 * `npm start` as a real process: the entry point is spawned with the demo environment against an
 * in-process directory emulator and connector emulator, then stopped by signal the way a
 * container runtime or a developer's Ctrl-C would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Env } from '../src/config.js';
import { demoEnv } from '../src/demo/demoConfig.js';
import { startDirectoryEmulator, type DirectoryEmulator } from '../src/demo/directoryEmulator.js';
import { DEMO, loadDemoTenant } from '../src/demo/tenantSeed.js';
import { message, postActivity } from './support/activities.js';
import { startConnectorEmulator, type ConnectorEmulator } from './support/connectorEmulator.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Every wait on the child is bounded by this. */
const WAIT_MS = 15_000;

const ava = { aadObjectId: DEMO.users.ava, name: 'Ava Employee' };

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface LogLine {
  msg?: string;
  url?: string;
  signal?: string;
}

interface Child {
  process: ChildProcess;
  /** Each stdout line, parsed when it is JSON. */
  lines: LogLine[];
  stderr(): string;
  exited: Promise<Exit>;
  waitForLog(predicate: (line: LogLine) => boolean, description: string): Promise<LogLine>;
}

async function within<T>(work: Promise<T>, ms: number, description: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${description} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const children: ChildProcess[] = [];

function spawnTapDesk(env: Env): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    // Only the given environment: the parent's VITEST or NODE_ENV must not leak into the child.
    env: { ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  const lines: LogLine[] = [];
  const waiters: Array<{ predicate: (line: LogLine) => boolean; resolve: (l: LogLine) => void }> =
    [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const texts = (partial + chunk).split('\n');
    partial = texts.pop() ?? '';
    for (const text of texts) {
      let line: LogLine = {};
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        // A non-JSON line still counts as output; it just matches no log predicate.
      }
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.predicate(line))) waiter.resolve(line);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    process: child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLog(predicate, description) {
      const seen = lines.find(predicate);
      if (seen) return Promise.resolve(seen);
      const found = new Promise<LogLine>((resolve) => waiters.push({ predicate, resolve }));
      // Dying early is a failure worth its own message, not a timeout.
      const died = exited.then((exit) => {
        throw new Error(
          `TapDesk exited (${JSON.stringify(exit)}) before ${description}\nstderr: ${stderr}`,
        );
      });
      return within(Promise.race([found, died]), WAIT_MS, description);
    },
  };
}

/** stderr without Node's own warnings (restify reads `process.binding('http_parser')`). */
const errorsIn = (stderr: string) =>
  stderr.split('\n').filter((line) => line !== '' && !/^\((node:\d+|Use `node)/.test(line));

const isListening = (line: LogLine) =>
  line.msg === 'TapDesk is listening' && typeof line.url === 'string';

describe('the TapDesk process (src/main.ts)', () => {
  let directory: DirectoryEmulator;
  let connector: ConnectorEmulator;
  let dir: string;
  let sqlitePath: string;

  beforeAll(async () => {
    directory = await startDirectoryEmulator({ seed: loadDemoTenant() });
    connector = await startConnectorEmulator();
  });
  afterAll(async () => {
    await Promise.all([directory.close(), connector.close()]);
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tapdesk-main-'));
    sqlitePath = join(dir, 'tapdesk.sqlite');
    directory.reset();
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await within(gone, WAIT_MS, 'exit after SIGKILL');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (): Env =>
    demoEnv({ graphBaseUrl: directory.url, serviceUrl: connector.url, sqlitePath, port: 0 });

  async function start(): Promise<{ child: Child; url: string }> {
    const child = spawnTapDesk(env());
    const listening = await child.waitForLog(isListening, '"TapDesk is listening" log line');
    return { child, url: listening.url! };
  }

  function expectIntactStore() {
    const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const refs = db.prepare('SELECT key FROM conversation_refs').all() as { key: string }[];
      expect(refs.map((row) => row.key)).toContain(`user:${ava.aadObjectId}`);
    } finally {
      db.close();
    }
  }

  /** Writes to the store through a real turn, so the integrity check has data to check. */
  async function helpTurn(url: string) {
    const activity = message('help', ava, { serviceUrl: connector.url });
    const response = await within(postActivity(url, activity), WAIT_MS, 'answer to help');
    expect(response.status).toBe(200);
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops on ${signal} with exit code 0, logging stopping and stopped, store intact`, async () => {
      const { child, url } = await start();
      const health = await within(fetch(`${url}/healthz`), WAIT_MS, '/healthz answer');
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'alive' });
      await helpTurn(url);

      child.process.kill(signal);
      const exit = await within(child.exited, WAIT_MS, `exit after ${signal}`);

      expect(exit).toEqual({ code: 0, signal: null });
      const messages = child.lines.map((line) => line.msg);
      const stopping = child.lines.find((line) => line.msg?.startsWith('stopping'));
      expect(stopping?.signal).toBe(signal);
      expect(messages.indexOf('stopped')).toBeGreaterThan(messages.indexOf(stopping!.msg));
      expect(errorsIn(child.stderr())).toEqual([]);
      // A clean close checkpoints the write-ahead log into the database and removes it.
      expect(existsSync(`${sqlitePath}-wal`)).toBe(false);
      expectIntactStore();
    });
  }

  it('finishes a turn that is waiting on a slow directory before it exits', async () => {
    const { child, url } = await start();
    // Every Graph read takes a while, so the lost-phone check is still running when the signal lands.
    directory.setLatency(250);
    const activity = message('I lost my phone', ava, { serviceUrl: connector.url });
    const answer = postActivity(url, activity);
    await within(
      (async () => {
        while (directory.calls.length === 0) await new Promise((r) => setTimeout(r, 20));
      })(),
      WAIT_MS,
      'first Graph call of the turn',
    );

    child.process.kill('SIGTERM');
    await child.waitForLog((line) => line.msg?.startsWith('stopping') === true, 'stopping line');
    expect(child.lines.some((line) => line.msg === 'stopped')).toBe(false);
    const callsWhenStopping = directory.calls.length;

    const response = await within(answer, WAIT_MS, 'answer to the slow turn');
    expect(response.status).toBe(200);
    const exit = await within(child.exited, WAIT_MS, 'exit after SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    // The offer, built from the directory reads, reached Ava before the process went away.
    await connector.waitFor(
      (entry) =>
        entry.conversationId === activity.conversation!.id &&
        JSON.stringify(entry.activity).includes('Maya Manager, your manager in the directory'),
      { timeoutMs: 1000, description: 'the lost-phone offer to Ava' },
    );
    expect(child.lines.some((line) => line.msg === 'stopped with turns still running')).toBe(false);
    // The turn kept reading the directory after the signal instead of being cut off.
    expect(directory.calls.length).toBeGreaterThan(callsWhenStopping);
  });

  it('refuses to start on bad configuration, naming every problem key on stderr', async () => {
    const { TENANT_ID: _omitted, ...rest } = env();
    const child = spawnTapDesk({ ...rest, GRAPH_BASE_URL: 'ftp://x' });

    const exit = await within(child.exited, WAIT_MS, 'exit on bad configuration');

    expect(exit).toEqual({ code: 1, signal: null });
    const problems = child
      .stderr()
      .split('\n')
      .filter((line) => line !== '');
    expect(problems).toHaveLength(2);
    for (const line of problems) expect(line).toMatch(/^config: /);
    expect(problems.filter((line) => line.includes('TENANT_ID'))).toHaveLength(1);
    expect(problems.filter((line) => line.includes('GRAPH_BASE_URL'))).toHaveLength(1);
    expect(child.lines.some(isListening)).toBe(false);
    expect(existsSync(sqlitePath)).toBe(false);
  });
});
