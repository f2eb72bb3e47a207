import type { Config } from '../config.js';
import { createGraphCredential } from '../graph/graphDirectory.js';
import type { Logger } from '../logger.js';
import type { Store } from '../ports.js';
import { AzureTablesStore } from './azureTables.js';
import { SqliteStore } from './sqlite.js';

/**
 * Opens the store the configuration names: the server, `npm run audit` and tests share it.
 * An Azure Tables endpoint is reached with the same Azure identity as Graph (the AZURE_* app
 * credentials, else the managed identity).
 */
export async function openStore(
  config: Readonly<Config>,
  now: () => Date,
  logger?: Logger,
): Promise<Store> {
  const { store } = config;
  if (store.kind === 'sqlite') return SqliteStore.open(store.path, { now });
  const connection =
    'connectionString' in store
      ? { connectionString: store.connectionString }
      : { endpoint: store.endpoint, credential: createGraphCredential(config.graph) };
  return AzureTablesStore.open(connection, { now, ...(logger ? { logger } : {}) });
}
