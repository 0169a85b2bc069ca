import type { ProviderLimits } from '../core/config/app-config';
import { costOf, PRICE_TABLE_VERSION } from './price-table';
import type { Prompt, PreparedRequest, ProviderName, ProviderResult, ProviderSetting, Usage } from './provider.types';

/** What every client reports back before the common bookkeeping (cost, timing, prompt). */
export interface ClientAnswer {
  text: string;
  citations: ProviderResult['citations'];
  sources: ProviderResult['sources'];
  searchQueries: string[];
  usage: Usage;
  servedModel: string | null;
  finishReason: string | null;
  /** The provider's own cost figure, when it reports one. */
  providerCostUsd?: number | null;
  /** Per-request fees to price (a grounded prompt, a Perplexity request). */
  pricedRequests?: number;
  raw: unknown;
}

export interface CostWarning {
  (provider: ProviderName, model: string): void;
}

/**
 * One answer engine behind the common interface: prepare a request from a prompt and the run's
 * provider settings, invoke it, and turn the provider's own answer into one ProviderResult.
 * Clients never retry (the queue owns retries) and throw ProviderError, classified.
 */
export abstract class ProviderClient {
  abstract readonly name: ProviderName;

  constructor(
    protected readonly limits: ProviderLimits,
    private readonly warnUnpriced: CostWarning = () => undefined,
  ) {}

  /** Problems with a run's settings for this provider, as messages (empty when they are fine). */
  abstract validateSettings(settings: Record<string, unknown>): string[];

  abstract prepare(setting: ProviderSetting, prompt: Prompt): PreparedRequest;

  protected abstract call(request: PreparedRequest): Promise<ClientAnswer>;

  async invoke(request: PreparedRequest): Promise<ProviderResult> {
    const started = performance.now();
    const answer = await this.call(request);
    const latency = Math.round(performance.now() - started);
    let cost: number | null = null;
    let source: ProviderResult['cost_source'] = 'unknown';
    if (typeof answer.providerCostUsd === 'number') {
      cost = answer.providerCostUsd;
      source = 'provider';
    } else {
      cost = costOf(this.name, request.model, answer.usage, { requests: answer.pricedRequests ?? 0 });
      if (cost === null) this.warnUnpriced(this.name, request.model);
      else source = 'price_table';
    }
    return {
      provider: this.name,
      text: answer.text,
      citations: answer.citations,
      sources: answer.sources,
      search_queries: answer.searchQueries,
      usage: answer.usage,
      latency_ms: latency,
      cost_usd: cost,
      cost_source: source,
      price_table_version: source === 'price_table' ? PRICE_TABLE_VERSION : null,
      requested_model: request.model,
      served_model: answer.servedModel,
      finish_reason: answer.finishReason,
      prompt_version: request.prompt.version,
      prompt_hash: request.prompt.hash,
      raw_request: { path: request.path, body: request.body },
      raw_response: answer.raw,
    };
  }
}
