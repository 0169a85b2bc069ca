import { Injectable, Logger, Optional } from '@nestjs/common';
import { AppConfig, PROVIDER_NAMES } from '../core/config/app-config';
import { AppMetrics, CIRCUIT_STATE_VALUE } from '../core/metrics/app-metrics';
import { CircuitBreaker, type CircuitSnapshot } from './circuit-breaker';
import { GeminiClient } from './clients/gemini.client';
import { OpenAiClient } from './clients/openai.client';
import { PerplexityClient } from './clients/perplexity.client';
import { buildPrompt, UnknownPromptVersionError } from './prompts';
import type { ProviderClient } from './provider-client';
import { ProviderError } from './provider.errors';
import type { PreparedRequest, PromptInput, ProviderName, ProviderResult, ProviderSetting } from './provider.types';

const isProvider = (p: unknown): p is ProviderName => typeof p === 'string' && (PROVIDER_NAMES as readonly string[]).includes(p);

/**
 * The providers feature's face: validate a run's provider settings, prepare a request from a
 * question, invoke it behind the provider's circuit breaker, and report the breakers' state.
 */
@Injectable()
export class ProvidersService {
  private readonly logger = new Logger('Providers');
  private readonly clients: Record<ProviderName, ProviderClient>;
  private readonly breakers: Record<ProviderName, CircuitBreaker>;
  private readonly warned = new Set<string>();

  constructor(
    private readonly config: AppConfig,
    @Optional() private readonly metrics?: AppMetrics,
  ) {
    const warn = (provider: ProviderName, model: string): void => {
      const key = `${provider}/${model}`;
      if (this.warned.has(key)) return;
      this.warned.add(key);
      this.logger.warn({ provider, model }, `no price for ${key} in the price table: cost_usd is null`);
    };
    this.clients = {
      openai: new OpenAiClient(config.providers.openai, warn),
      perplexity: new PerplexityClient(config.providers.perplexity, warn),
      gemini: new GeminiClient(config.providers.gemini, warn),
    };
    this.breakers = {
      openai: new CircuitBreaker(config.breaker),
      perplexity: new CircuitBreaker(config.breaker),
      gemini: new CircuitBreaker(config.breaker),
    };
  }

  /** Problems with one provider setting of a run, as messages. */
  validate(setting: { provider?: unknown; model?: unknown; settings?: unknown }): string[] {
    if (!isProvider(setting.provider)) return [`provider must be one of ${PROVIDER_NAMES.join(', ')}`];
    const problems: string[] = [];
    if (typeof setting.model !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/.test(setting.model)) problems.push('model must be a model id such as gpt-5-mini');
    const s = setting.settings ?? {};
    if (typeof s !== 'object' || s === null || Array.isArray(s)) problems.push('settings must be an object');
    else problems.push(...this.clients[setting.provider].validateSettings(s as Record<string, unknown>));
    return problems;
  }

  prepare(setting: ProviderSetting, input: PromptInput, promptVersion: string): PreparedRequest {
    try {
      return this.clients[setting.provider].prepare(setting, buildPrompt(promptVersion, input));
    } catch (err) {
      if (err instanceof UnknownPromptVersionError) throw new ProviderError(setting.provider, 'bad_request', err.message);
      throw err;
    }
  }

  /** Calls the provider unless its circuit is open; a retryable failure counts against it. */
  async invoke(request: PreparedRequest): Promise<ProviderResult> {
    const breaker = this.breakers[request.provider];
    const labels = { provider: request.provider, model: request.model };
    if (!breaker.tryAcquire()) {
      const { retryAt } = breaker.snapshot();
      this.metrics?.providerCalls.inc({ ...labels, outcome: 'circuit_open' });
      this.metrics?.circuitState.set({ provider: request.provider }, CIRCUIT_STATE_VALUE[breaker.state]);
      throw new ProviderError(request.provider, 'circuit_open', 'the circuit is open after consecutive failures', undefined, retryAt ? Math.max(0, retryAt - Date.now()) : undefined);
    }
    const started = process.hrtime.bigint();
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await this.clients[request.provider].invoke(request);
      breaker.recordSuccess();
      if (this.metrics) {
        this.metrics.providerDuration.observe({ ...labels, outcome: 'ok' }, seconds());
        this.metrics.providerCalls.inc({ ...labels, outcome: 'ok' });
        if (result.usage.input_tokens) this.metrics.providerTokens.inc({ ...labels, direction: 'input' }, result.usage.input_tokens);
        if (result.usage.output_tokens) this.metrics.providerTokens.inc({ ...labels, direction: 'output' }, result.usage.output_tokens);
        if (result.cost_usd) this.metrics.providerCost.inc(labels, result.cost_usd);
      }
      return result;
    } catch (err) {
      const e = err instanceof ProviderError ? err : new ProviderError(request.provider, 'malformed_response', err instanceof Error ? err.message : String(err));
      if (e.retryable) breaker.recordFailure();
      else breaker.recordNeutral();
      this.metrics?.providerDuration.observe({ ...labels, outcome: e.code }, seconds());
      this.metrics?.providerCalls.inc({ ...labels, outcome: e.code });
      throw e;
    } finally {
      this.metrics?.circuitState.set({ provider: request.provider }, CIRCUIT_STATE_VALUE[breaker.state]);
    }
  }

  circuit(provider: ProviderName): CircuitSnapshot {
    return this.breakers[provider].snapshot();
  }

  /** Providers whose API key is set. */
  configured(): ProviderName[] {
    return PROVIDER_NAMES.filter((p) => Boolean(this.config.providers[p].apiKey));
  }
}
