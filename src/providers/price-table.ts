import type { ProviderName, Usage } from './provider.types';

/** USD per 1M tokens, and per call or per request where the provider charges that way. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Cached input tokens (prompt caching), when cheaper than input. */
  cachedInput?: number;
  /** Per web search the model runs (OpenAI web_search). */
  perSearchCall?: number;
  /** Per request (Perplexity request fee, Gemini grounded prompt). */
  perRequest?: number;
}

/**
 * The price table, versioned: a change of prices is a new version, and each result records the
 * version it was priced with (price_table_version). Public list prices, standard tier, as published by the
 * providers on the version date. Dated model ids ("gpt-5-mini-2025-08-07") use the longest listed
 * prefix.
 */
export const PRICE_TABLE_VERSION = '2026-11-01';

export const PRICES: Readonly<Record<ProviderName, Readonly<Record<string, ModelPrice>>>> = {
  openai: {
    'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10, perSearchCall: 0.01 },
    'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2, perSearchCall: 0.01 },
    'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4, perSearchCall: 0.01 },
    'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8, perSearchCall: 0.025 },
    'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6, perSearchCall: 0.025 },
    'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10, perSearchCall: 0.025 },
    'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6, perSearchCall: 0.025 },
  },
  perplexity: {
    // Request fee at the medium search context size; Perplexity reports its own cost, which wins.
    'perplexity/sonar': { input: 1, output: 1, perRequest: 0.008 },
    sonar: { input: 1, output: 1, perRequest: 0.008 },
    'perplexity/sonar-pro': { input: 3, output: 15, perRequest: 0.01 },
    'sonar-pro': { input: 3, output: 15, perRequest: 0.01 },
    'perplexity/sonar-reasoning-pro': { input: 2, output: 8, perRequest: 0.01 },
    'sonar-reasoning-pro': { input: 2, output: 8, perRequest: 0.01 },
  },
  gemini: {
    // Grounding with Google Search: $35 per 1,000 grounded prompts.
    'gemini-2.5-pro': { input: 1.25, cachedInput: 0.31, output: 10, perRequest: 0.035 },
    'gemini-2.5-flash': { input: 0.3, cachedInput: 0.075, output: 2.5, perRequest: 0.035 },
    'gemini-2.5-flash-lite': { input: 0.1, cachedInput: 0.025, output: 0.4, perRequest: 0.035 },
    'gemini-2.0-flash': { input: 0.1, cachedInput: 0.025, output: 0.4, perRequest: 0.035 },
  },
};

/** The price of a model, by exact id or the longest listed prefix; undefined when unknown. */
export function priceOf(provider: ProviderName, model: string, table = PRICES): ModelPrice | undefined {
  const prices = table[provider];
  if (prices[model]) return prices[model];
  const prefix = Object.keys(prices)
    .filter((m) => model.startsWith(`${m}-`))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? prices[prefix] : undefined;
}

const round = (usd: number): number => Math.round(usd * 1e8) / 1e8;

/**
 * Cost of one call from its usage. `requests` counts the per-request fee (a grounded prompt, a
 * Perplexity request); `search_calls` the per-search fee. Null when the model is not in the table.
 */
export function costOf(provider: ProviderName, model: string, usage: Usage, opts: { requests?: number } = {}, table = PRICES): number | null {
  const price = priceOf(provider, model, table);
  if (!price) return null;
  const input = usage.input_tokens ?? 0;
  const cached = Math.min(usage.cached_input_tokens ?? 0, input);
  const output = usage.output_tokens ?? 0;
  const tokens = ((input - cached) * price.input + cached * (price.cachedInput ?? price.input) + output * price.output) / 1e6;
  const searches = (usage.search_calls ?? 0) * (price.perSearchCall ?? 0);
  const requests = (opts.requests ?? 0) * (price.perRequest ?? 0);
  return round(tokens + searches + requests);
}
