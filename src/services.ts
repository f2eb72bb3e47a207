import type { Background } from './background.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Directory, Messenger, Store } from './ports.js';

/** What every command, card action and flow may use: the ports, the configuration and a clock. */
export interface Services {
  config: Readonly<Config>;
  store: Store;
  directory: Directory;
  messenger: Messenger;
  logger: Logger;
  now: () => Date;
  /** Work that outlives the turn that started it. */
  background: Background;
}
