import type { Abstract, Provider, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AppConfig } from '../config/app-config';

/**
 * Binds a repository interface (an abstract class used as the DI token) to its full-schema or its
 * compat adapter, chosen once at module init by DB_COMPAT_MODE. Services inject the interface and
 * never know the mode.
 */
export function modeRepository<T>(token: Abstract<T>, full: Type<T>, compat: Type<T>): Provider {
  return {
    provide: token,
    inject: [AppConfig, ModuleRef],
    useFactory: (config: AppConfig, moduleRef: ModuleRef) => moduleRef.create(config.db.compatMode ? compat : full),
  };
}
