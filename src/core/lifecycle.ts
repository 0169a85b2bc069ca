import type { INestApplicationContext } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { ConfigError } from './config/env.validation';
import { loadAppConfig } from './config/app-config';

/** Reads `.env` from the working directory when there is one; variables already set win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/** Validates the environment before anything connects: a bad variable stops the process, named. */
export function preflightConfig(): void {
  try {
    loadAppConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/**
 * SIGTERM/SIGINT: close the app (HTTP server stops accepting and drains in-flight requests;
 * BullMQ workers finish or release their jobs; connections close), then exit. A second signal, or
 * the timeout, exits at once.
 */
/**
 * Node keeps serving requests that arrive on open keep-alive connections after `server.close()`,
 * so busy clients would hold the process until the shutdown timeout. From the signal on, every
 * answer says `Connection: close`, and idle connections are closed as they become idle.
 */
function drainKeepAlive(app: INestApplicationContext): void {
  const getServer = (app as { getHttpServer?: () => unknown }).getHttpServer;
  if (typeof getServer !== 'function') return;
  const server = getServer.call(app) as import('node:http').Server | undefined;
  if (!server || typeof server.on !== 'function') return;
  server.prependListener('request', (_req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  });
  server.closeIdleConnections();
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  idle.unref();
}

export function installShutdown(app: INestApplicationContext, timeoutMs: number, name: string): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) process.exit(1);
    closing = true;
    console.error(JSON.stringify({ level: 'info', msg: `${name}: ${signal} received, shutting down`, time: Date.now() }));
    const timer = setTimeout(() => {
      console.error(JSON.stringify({ level: 'error', msg: `${name}: shutdown took longer than ${timeoutMs} ms, exiting` }));
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    drainKeepAlive(app);
    app.close().then(
      () => {
        console.error(JSON.stringify({ level: 'info', msg: `${name}: shutdown complete`, time: Date.now() }));
        process.exit(0);
      },
      (err: unknown) => {
        console.error(JSON.stringify({ level: 'error', msg: `${name}: shutdown failed`, err: String(err) }));
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
