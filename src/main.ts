import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { API_STREAMED_BODY_ROUTES, ApiModule } from './api.module';
import { AppConfig } from './core/config/app-config';
import { configureApp } from './core/http/configure-app';
import { installShutdown, loadDotEnv, preflightConfig } from './core/lifecycle';

async function bootstrap(): Promise<void> {
  loadDotEnv();
  preflightConfig();
  const app = await NestFactory.create<NestExpressApplication>(ApiModule, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  configureApp(app, API_STREAMED_BODY_ROUTES);
  const config = app.get(AppConfig);
  installShutdown(app, config.shutdownTimeoutMs, 'api');
  // Nest types listen(port, host, callback) but hands every argument to Node's
  // server.listen(port, host, backlog, callback).
  const listen = app.listen.bind(app) as unknown as (port: number, host: string, backlog: number) => Promise<unknown>;
  await listen(config.http.port, config.http.host, config.http.backlog);
  app.get(Logger).log(`API listening on http://${config.http.host}:${config.http.port} (docs at /docs)`, 'Bootstrap');
}

bootstrap().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', msg: 'API failed to start', err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }));
  process.exit(1);
});
