import { Module } from '@nestjs/common';
import { ProvidersService } from './providers.service';

/** Answer engines behind one interface; used by the runs feature (the worker). */
@Module({
  providers: [ProvidersService],
  exports: [ProvidersService],
})
export class ProvidersModule {}
