import type { Config } from '../config.js';
import type { Store } from '../ports.js';
import { SqliteStore } from './sqlite.js';

/** Opens the store the configuration names: the server, `npm run audit` and tests share it. */
export async function openStore(config: Readonly<Config>, now: () => Date): Promise<Store> {
  if (config.store.kind === 'sqlite') return SqliteStore.open(config.store.path, { now });
  throw new Error('STORE=azure-tables is not available in this build of TapDesk');
}
