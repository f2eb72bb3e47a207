/** `npm run audit -- --since … [--until …] [--format csv|jsonl] [--request ID]`. */
import { existsSync } from 'node:fs';
import { loadConfig } from '../config.js';
import { openStore } from '../store/openStore.js';
import { AUDIT_USAGE, formatAudit, parseAuditArgs, selectAudit } from './auditExport.js';

const args = parseAuditArgs(process.argv.slice(2), new Date());
if (!args.ok) {
  for (const problem of args.problems) console.error(problem);
  console.error(AUDIT_USAGE);
  process.exit(1);
}
const config = loadConfig(process.env);
if (!config.ok) {
  for (const problem of config.problems) console.error(`config: ${problem}`);
  process.exit(1);
}
if (config.config.store.kind === 'sqlite' && !existsSync(config.config.store.path)) {
  // Opening would create an empty store and export nothing, which reads like "no events".
  console.error(`There is no TapDesk store at ${config.config.store.path} (SQLITE_PATH).`);
  process.exit(1);
}
const store = await openStore(config.config, () => new Date());
try {
  process.stdout.write(formatAudit(await selectAudit(store, args.query), args.query.format));
} finally {
  await store.close();
}
