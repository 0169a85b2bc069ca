import type { ProviderLimits } from '../../core/config/app-config';
import type { ClientAnswer, CostWarning } from '../provider-client';
import type { PreparedRequest, Prompt, ProviderSetting } from '../provider.types';
import { fromSdkError } from './openai-errors';
import { ResponsesApiClient } from './responses-client';
import { normalizeResponses } from './responses-format';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Perplexity reports what a call cost: `usage.cost.total_cost` (or a bare number). */
export function perplexityCost(data: unknown): number | null {
  if (!isObj(data) || !isObj(data.usage)) return null;
  const cost = data.usage.cost;
  if (typeof cost === 'number' && Number.isFinite(cost)) return cost;
  if (isObj(cost) && typeof cost.total_cost === 'number' && Number.isFinite(cost.total_cost)) return cost.total_cost;
  return null;
}

/**
 * Perplexity's Agent API (the Responses format; Sonar chat completions were retired on
 * 2026-09-27) through the openai SDK with base URL `…/v1`, at its canonical endpoint
 * `POST /v1/agent` (`/v1/responses` is the alias `responses.create` would use). Settings: preset,
 * web_search (boolean; the Sonar models search anyway), max_output_tokens.
 */
export class PerplexityClient extends ResponsesApiClient {
  readonly name = 'perplexity' as const;

  constructor(limits: ProviderLimits, warnUnpriced?: CostWarning) {
    super(limits, 'PERPLEXITY_API_KEY', warnUnpriced);
  }

  validateSettings(s: Record<string, unknown>): string[] {
    const problems: string[] = [];
    for (const key of Object.keys(s)) if (!['preset', 'web_search', 'max_output_tokens'].includes(key)) problems.push(`unknown setting "${key}"`);
    if (s.preset !== undefined && (typeof s.preset !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(s.preset))) problems.push('preset must be a preset name such as pro-search');
    if (s.web_search !== undefined && typeof s.web_search !== 'boolean') problems.push('web_search must be true or false');
    if (s.max_output_tokens !== undefined && !(Number.isInteger(s.max_output_tokens) && (s.max_output_tokens as number) > 0)) problems.push('max_output_tokens must be a positive integer');
    return problems;
  }

  prepare(setting: ProviderSetting, prompt: Prompt): PreparedRequest {
    const s = setting.settings ?? {};
    const body: Record<string, unknown> = { model: setting.model, input: prompt.user };
    if (prompt.system) body.instructions = prompt.system;
    if (s.preset) body.preset = s.preset;
    if (s.web_search !== false) body.tools = [{ type: 'web_search' }];
    if (s.max_output_tokens) body.max_output_tokens = s.max_output_tokens;
    return { provider: this.name, model: setting.model, prompt, settings: s, body, path: '/agent' };
  }

  protected async call(request: PreparedRequest): Promise<ClientAnswer> {
    const data = await this.post(request);
    try {
      return { ...normalizeResponses(data), providerCostUsd: perplexityCost(data), pricedRequests: 1, raw: data };
    } catch (err) {
      throw fromSdkError(this.name, err);
    }
  }
}
