/**
 * `npm run doctor [-- --env <file>]`: checks the configuration, the Graph permissions, the
 * groups and the Teams ids of this deployment, one line each, and exits 1 when something
 * required is not ok. Values already in the environment win over the file's.
 */
import { formatReport, runDoctor } from './doctorChecks.js';
import { loadEnvFileFlag } from './envFile.js';

const envProblem = loadEnvFileFlag(process.argv, 'doctor');
if (envProblem) {
  console.error(envProblem);
  process.exit(1);
}

const report = await runDoctor({ env: process.env });
process.stdout.write(formatReport(report));
process.exit(report.ok ? 0 : 1);
