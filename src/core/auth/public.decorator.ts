import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'geo:isPublic';

/** A route that needs no API key (probes only). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
