/**
 * `npm run doctor [-- --env <file>]`: checks the configuration, the Graph permissions, the
 * groups and the Teams ids of this deployment, one line each, and exits 1 when something
 * required is not ok. Values already in the environment win over the file's.
 */
import { formatReport, runDoctor } from './doctorChecks.js';

const envFlag = process.argv.indexOf('--env');
if (envFlag >= 0) {
  const file = process.argv[envFlag + 1];
  if (!file) {
    console.error('--env needs a file name, e.g. npm run doctor -- --env .env');
    process.exit(1);
  }
  try {
    process.loadEnvFile(file);
  } catch {
    console.error(`Cannot read the environment file ${file}`);
    process.exit(1);
  }
}

const report = await runDoctor({ env: process.env });
process.stdout.write(formatReport(report));
process.exit(report.ok ? 0 : 1);
