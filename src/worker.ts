import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppConfig } from './core/config/app-config';
import { installShutdown, loadDotEnv, preflightConfig } from './core/lifecycle';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  loadDotEnv();
  preflightConfig();
  // An application context: no HTTP server; the processors of WorkerModule consume the queues.
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  installShutdown(app, app.get(AppConfig).shutdownTimeoutMs, 'worker');
  await app.init();
  app.get(Logger).log(`worker started (pid ${process.pid})`, 'Bootstrap');
}

bootstrap().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', msg: 'worker failed to start', err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }));
  process.exit(1);
});
