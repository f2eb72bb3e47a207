/** `npm start`: read the environment, start TapDesk, stop cleanly on SIGTERM/SIGINT. */
import { loadConfig } from './config.js';
import { startTapDesk } from './index.js';
import { createLogger } from './logger.js';

const result = loadConfig(process.env);
if (!result.ok) {
  for (const problem of result.problems) process.stderr.write(`config: ${problem}\n`);
  process.exit(1);
}
const logger = createLogger(result.config.logLevel);
for (const warning of result.warnings) logger.warn(warning);

const tapdesk = await startTapDesk(result.config, { logger });

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping: draining in-flight turns');
  await tapdesk.close();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
