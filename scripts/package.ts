/**
 * `npm run package [-- --env <file>]`: builds `dist/tapdesk-teams-app.zip` from `manifest/` for the
 * ids in the environment (TEAMS_APP_ID, MicrosoftAppId, BOT_DOMAIN). Values already in the
 * environment win over the file's.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { buildPackage, readAppIds } from '../src/cli/packageApp.js';
import { loadEnvFileFlag } from '../src/cli/envFile.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/tapdesk-teams-app.zip`;

const envProblem = loadEnvFileFlag(process.argv, 'package');
if (envProblem) {
  console.error(envProblem);
  process.exit(1);
}

const ids = readAppIds(process.env);
if (!ids.ok) {
  for (const problem of ids.problems) console.error(problem);
  process.exit(1);
}

const { version } = z
  .object({ version: z.string() })
  .parse(JSON.parse(await readFile(`${root}package.json`, 'utf8')));

const result = await buildPackage({
  manifestDir: `${root}manifest`,
  values: { ...ids.ids, version },
});
if (!result.ok) {
  console.error('The Teams app package is not valid:');
  for (const error of result.errors) console.error(`  ${error}`);
  process.exit(1);
}
await mkdir(`${root}dist`, { recursive: true });
await writeFile(out, result.zip);
console.log(out);
