import type { ProviderLimits } from '../../core/config/app-config';
import type { ClientAnswer, CostWarning } from '../provider-client';
import type { PreparedRequest, Prompt, ProviderSetting } from '../provider.types';
import { fromSdkError } from './openai-errors';
import { ResponsesApiClient } from './responses-client';
import { normalizeResponses } from './responses-format';

const CONTEXT_SIZES = ['low', 'medium', 'high'];
const LOCATION_KEYS = ['country', 'region', 'city', 'timezone'];

/**
 * OpenAI's Responses API through the official SDK, with the `web_search` tool on unless the
 * settings turn it off. Settings: web_search (boolean), search_context_size (low|medium|high),
 * user_location ({country, region, city, timezone}), max_output_tokens, reasoning_effort.
 */
export class OpenAiClient extends ResponsesApiClient {
  readonly name = 'openai' as const;

  constructor(limits: ProviderLimits, warnUnpriced?: CostWarning) {
    super(limits, 'OPENAI_API_KEY', warnUnpriced);
  }

  validateSettings(s: Record<string, unknown>): string[] {
    const problems: string[] = [];
    for (const key of Object.keys(s)) {
      if (!['web_search', 'search_context_size', 'user_location', 'max_output_tokens', 'reasoning_effort'].includes(key)) problems.push(`unknown setting "${key}"`);
    }
    if (s.web_search !== undefined && typeof s.web_search !== 'boolean') problems.push('web_search must be true or false');
    if (s.search_context_size !== undefined && !CONTEXT_SIZES.includes(s.search_context_size as string)) problems.push('search_context_size must be low, medium or high');
    if (s.user_location !== undefined) {
      const loc = s.user_location;
      if (typeof loc !== 'object' || loc === null || Array.isArray(loc) || Object.entries(loc).some(([k, v]) => !LOCATION_KEYS.includes(k) || typeof v !== 'string')) {
        problems.push(`user_location must be an object of ${LOCATION_KEYS.join(', ')} strings`);
      }
    }
    if (s.max_output_tokens !== undefined && !(Number.isInteger(s.max_output_tokens) && (s.max_output_tokens as number) > 0)) problems.push('max_output_tokens must be a positive integer');
    if (s.reasoning_effort !== undefined && !['minimal', 'low', 'medium', 'high'].includes(s.reasoning_effort as string)) problems.push('reasoning_effort must be minimal, low, medium or high');
    return problems;
  }

  prepare(setting: ProviderSetting, prompt: Prompt): PreparedRequest {
    const s = setting.settings ?? {};
    const body: Record<string, unknown> = { model: setting.model, input: prompt.user, store: false };
    if (prompt.system) body.instructions = prompt.system;
    if (s.web_search !== false) {
      const tool: Record<string, unknown> = { type: 'web_search' };
      if (s.search_context_size) tool.search_context_size = s.search_context_size;
      if (s.user_location) tool.user_location = { type: 'approximate', ...(s.user_location) };
      body.tools = [tool];
      // The search call lists the pages it read only when asked to.
      body.include = ['web_search_call.action.sources'];
    }
    if (s.max_output_tokens) body.max_output_tokens = s.max_output_tokens;
    if (s.reasoning_effort) body.reasoning = { effort: s.reasoning_effort };
    return { provider: this.name, model: setting.model, prompt, settings: s, body, path: '/responses' };
  }

  protected async call(request: PreparedRequest): Promise<ClientAnswer> {
    const data = await this.post(request);
    try {
      return { ...normalizeResponses(data), raw: data };
    } catch (err) {
      throw fromSdkError(this.name, err);
    }
  }
}
