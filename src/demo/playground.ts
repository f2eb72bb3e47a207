/**
 * Starts one Microsoft 365 Agents Playground as a child process: one person's Teams client, with
 * its own connector, for the demo and the browser test.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How to start one Playground. */
export interface PlaygroundOptions {
  /** Folder holding this person's `.m365agentsplayground.yml`; the Playground runs there. */
  folder: string;
  /** The bot's messaging endpoint, `http://127.0.0.1:<port>/api/messages`. */
  botEndpoint: string;
  /** A free port; the Playground would silently take a random one if this one were taken. */
  port: number;
  /** Where the Playground writes its log (it prints nothing when its output is not a terminal). */
  logFile: string;
  /** Default 30 s. */
  startTimeoutMs?: number;
}

/** A running Playground. */
export interface RunningPlayground {
  /** The page a person opens, `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Its connector, where the bot sends and updates messages for this person. */
  serviceUrl: string;
  /** Resolves with the exit code when the process ends, for whatever reason. */
  exited: Promise<number | null>;
  /** Stops the process (SIGTERM, then SIGKILL after 3 s). */
  stop(): Promise<void>;
}

const cli = createRequire(import.meta.url).resolve('@microsoft/m365agentsplayground/cli.js');
/** Binds every server in the Playground process to 127.0.0.1 instead of all interfaces. */
const loopbackPreload = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'demo',
  'loopback.mjs',
);

/**
 * Starts the Playground and resolves once it listens.
 *
 * @remarks The Playground opens a browser on start unless `TEAMSAPPTESTER_BROWSER=none`; it
 * announces `Listening on <port>` on stdout only when stdout is not a terminal, and it needs a
 * stdin it can hold open.
 */
export function startPlayground(options: PlaygroundOptions): Promise<RunningPlayground> {
  const { folder, botEndpoint, port, logFile } = options;
  const serviceUrl = `http://127.0.0.1:${port}/_connector`;
  const child = spawn(
    process.execPath,
    [
      '--import',
      loopbackPreload,
      cli,
      '--app-endpoint',
      botEndpoint,
      '--channel-id',
      'msteams',
      '--port',
      String(port),
      '--service-url',
      serviceUrl,
      '--disable-telemetry',
    ],
    {
      cwd: folder,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        TEAMSAPPTESTER_BROWSER: 'none',
        M365_AGENTS_PLAYGROUND_LOGFILE: logFile,
      },
    },
  );
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  return new Promise<RunningPlayground>((resolve, reject) => {
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => {
        const said = output.trim() === '' ? '' : ` It said: ${output.trim()}`;
        reject(new Error(`The Agents Playground in ${folder} ${why}.${said} Its log: ${logFile}`));
      });
    };
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    const onData = () => {
      const listening = /Listening on (\d+)/.exec(output);
      if (listening === null || settled) return;
      child.stdout.off('data', onData);
      if (Number(listening[1]) !== port) {
        fail(`took port ${listening[1]} instead of ${port}, which was in use`);
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve({ url: `http://127.0.0.1:${port}`, port, serviceUrl, exited, stop });
    };
    child.stdout.on('data', onData);
    void exited.then((code) => fail(`stopped while starting (exit code ${code})`));
  });
}
