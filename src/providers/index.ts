// The providers feature's public face: what other features may use.
export { ProvidersModule } from './providers.module';
export { ProvidersService } from './providers.service';
export { ProviderError, type ProviderErrorCode } from './provider.errors';
export { PROMPT_VERSIONS } from './prompts';
export type { ProviderResult, ProviderSetting, PromptInput, Citation, Usage } from './provider.types';
