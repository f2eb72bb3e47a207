/**
 * A real Azurite Table service on loopback for store tests: in memory, on an ephemeral port,
 * with no telemetry and no files left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createConnection, createServer } from 'node:net';

/** The well-known Azurite development account; it guards nothing. */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const HOST = '127.0.0.1';

const STARTUP_ATTEMPTS = 100;
const STARTUP_POLL_MS = 50;

/** A running Azurite Table service. */
export interface Azurite {
  /** Connection string for the dev account at this instance's port. */
  connectionString: string;
  port: number;
  /**
   * Freezes the process (SIGSTOP): the port still accepts connections but nothing answers,
   * which is what a hung store looks like. Data is kept.
   */
  pause(): void;
  /** Thaws a paused process (SIGCONT); requests queued meanwhile are then answered. */
  resume(): void;
  /** Ends the process; a later call is a no-op. */
  stop(): Promise<void>;
  /**
   * Stops the process and starts a new one on the same port. Persistence is in memory only,
   * so the new instance is empty: use {@link Azurite.pause} for an outage that keeps data.
   */
  restart(): Promise<void>;
}

function tableServiceEntry(): string {
  return createRequire(import.meta.url).resolve('azurite/dist/src/table/main.js');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      tableServiceEntry(),
      '--tableHost',
      HOST,
      '--tablePort',
      String(port),
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--disableProductStyleUrl',
      '--disableTelemetry',
      '--silent',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (let attempt = 0; attempt < STARTUP_ATTEMPTS; attempt++) {
    if (exited) throw new Error(`Azurite exited during startup: ${stderr}`);
    if (await answers(port)) return child;
    await delay(STARTUP_POLL_MS);
  }
  child.kill('SIGKILL');
  throw new Error(`Azurite did not listen on ${HOST}:${port} within the startup window`);
}

/** In-memory data has nothing to flush, and a graceful close would wait out keep-alive sockets. */
async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/** Starts Azurite's Table service on a free loopback port and waits until it accepts connections. */
export async function startAzurite(): Promise<Azurite> {
  const port = await freePort();
  let child = await launch(port);
  // A crashed test run must not leave Azurite behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  return {
    port,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
      `TableEndpoint=http://${HOST}:${port}/${DEV_ACCOUNT};`,
    pause: () => {
      child.kill('SIGSTOP');
    },
    resume: () => {
      child.kill('SIGCONT');
    },
    stop: async () => {
      await end(child);
      process.removeListener('exit', killOnExit);
    },
    restart: async () => {
      await end(child);
      child = await launch(port);
      process.removeListener('exit', killOnExit);
      process.once('exit', killOnExit);
    },
  };
}
