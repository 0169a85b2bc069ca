import OpenAI from 'openai';
import type { ProviderLimits } from '../../core/config/app-config';
import { ProviderClient, type CostWarning } from '../provider-client';
import { ProviderError } from '../provider.errors';
import type { PreparedRequest } from '../provider.types';
import { fromSdkError } from './openai-errors';

/** What OpenAI's and Perplexity's clients share: the openai SDK, set up the same way, and one POST. */
export abstract class ResponsesApiClient extends ProviderClient {
  private readonly sdk: OpenAI;

  constructor(
    limits: ProviderLimits,
    private readonly keyVariable: string,
    warnUnpriced?: CostWarning,
  ) {
    super(limits, warnUnpriced);
    // The queue owns retries: the SDK would follow Retry-After without a cap and retry timeouts.
    this.sdk = new OpenAI({ apiKey: limits.apiKey ?? 'not-configured', baseURL: limits.baseUrl, maxRetries: 0, timeout: limits.timeoutMs });
  }

  /**
   * POSTs the prepared body and answers the provider's JSON as it came (asResponse(): the SDK's
   * own parse would add `output_text` to it), or throws a classified ProviderError.
   */
  protected async post(request: PreparedRequest): Promise<unknown> {
    if (!this.limits.apiKey) throw new ProviderError(this.name, 'not_configured', `${this.keyVariable} is not set`);
    const started = performance.now();
    try {
      const response = await this.sdk.post(request.path, { body: request.body }).asResponse();
      return JSON.parse(await response.text()) as unknown;
    } catch (err) {
      throw fromSdkError(this.name, err, performance.now() - started >= this.limits.timeoutMs * 0.95);
    }
  }
}
