import { EmulatorConfigError, loadConfigFromEnv } from './config';
import { startEmulator } from './emulator';

/**
 * `npm run emulator`: the provider emulator as its own process. Never imported by the API or the
 * worker. Prints one JSON line with where to point the clients, and stops on SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  const config = loadConfigFromEnv();
  const emulator = await startEmulator(config);
  process.stdout.write(
    `${JSON.stringify({
      level: 'info',
      time: new Date().toISOString(),
      msg: 'provider emulator listening',
      url: emulator.url,
      baseUrls: emulator.baseUrls,
      env: {
        OPENAI_BASE_URL: emulator.baseUrls.openai,
        PERPLEXITY_BASE_URL: emulator.baseUrls.perplexity,
        GEMINI_BASE_URL: emulator.baseUrls.gemini,
      },
    })}\n`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    emulator
      .close()
      .then(() => {
        process.stdout.write(`${JSON.stringify({ level: 'info', time: new Date().toISOString(), msg: 'provider emulator stopped', signal })}\n`);
        process.exit(0);
      })
      .catch((err: unknown) => {
        process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'provider emulator failed to stop', error: String(err) })}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  const problems = err instanceof EmulatorConfigError ? err.problems : undefined;
  process.stderr.write(`${JSON.stringify({ level: 'error', time: new Date().toISOString(), msg: 'provider emulator failed to start', error: (err as Error).message, problems })}\n`);
  process.exit(1);
});
