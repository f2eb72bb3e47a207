/**
 * `--env <file>` for the command-line tools: loads the file into the environment (values already
 * set win, as `process.loadEnvFile` does). Returns the problem in one line, or undefined.
 */
export function loadEnvFileFlag(argv: readonly string[], command: string): string | undefined {
  const flag = argv.indexOf('--env');
  if (flag < 0) return undefined;
  const file = argv[flag + 1];
  if (!file) return `--env needs a file name, e.g. npm run ${command} -- --env .env`;
  try {
    process.loadEnvFile(file);
    return undefined;
  } catch {
    return `Cannot read the environment file ${file}`;
  }
}
