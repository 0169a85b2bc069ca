import { Global, Module } from '@nestjs/common';
import { AppConfig, loadAppConfig } from './app-config';

/** Provides the validated AppConfig to every module; the environment is read once, here. */
@Global()
@Module({
  providers: [{ provide: AppConfig, useFactory: () => loadAppConfig(process.env) }],
  exports: [AppConfig],
})
export class AppConfigModule {}
