import { costOf, priceOf, PRICES } from './price-table';

describe('price table', () => {
  it('prices OpenAI tokens, cached tokens and web searches (hand-computed)', () => {
    // gpt-5-mini: 1,200 input of which 200 cached, 800 output, 1 search:
    // 1,000 × 0.25/1M + 200 × 0.025/1M + 800 × 2/1M + 0.01 = 0.00025 + 0.000005 + 0.0016 + 0.01 = 0.011855
    expect(costOf('openai', 'gpt-5-mini', { input_tokens: 1200, cached_input_tokens: 200, output_tokens: 800, search_calls: 1 })).toBe(0.011855);
    // gpt-4o without search: 10,000 × 2.5/1M + 2,000 × 10/1M = 0.025 + 0.02 = 0.045
    expect(costOf('openai', 'gpt-4o', { input_tokens: 10_000, output_tokens: 2_000 })).toBe(0.045);
  });

  it('prices Perplexity tokens plus the request fee, and Gemini tokens plus the grounded prompt', () => {
    // sonar: 500 × 1/1M + 300 × 1/1M + 0.008 = 0.0088
    expect(costOf('perplexity', 'perplexity/sonar', { input_tokens: 500, output_tokens: 300 }, { requests: 1 })).toBe(0.0088);
    // gemini-2.5-flash: 2,000 × 0.3/1M + 1,000 × 2.5/1M + 0.035 = 0.0006 + 0.0025 + 0.035 = 0.0381
    expect(costOf('gemini', 'gemini-2.5-flash', { input_tokens: 2000, output_tokens: 1000 }, { requests: 1 })).toBe(0.0381);
    expect(costOf('gemini', 'gemini-2.5-flash', { input_tokens: 2000, output_tokens: 1000 })).toBe(0.0031);
  });

  it('finds dated model ids by their longest listed prefix, and answers null for unknown models', () => {
    expect(priceOf('openai', 'gpt-5-mini-2025-08-07')).toBe(PRICES.openai['gpt-5-mini']);
    expect(priceOf('openai', 'gpt-5-2025-08-07')).toBe(PRICES.openai['gpt-5']);
    expect(priceOf('gemini', 'gemini-2.5-flash-lite-preview-06-17')).toBe(PRICES.gemini['gemini-2.5-flash-lite']);
    expect(costOf('openai', 'my-local-llama', { input_tokens: 10, output_tokens: 10 })).toBeNull();
  });

  it('treats missing usage as zero and never counts more cached tokens than input', () => {
    expect(costOf('openai', 'gpt-5', { input_tokens: null, output_tokens: null })).toBe(0);
    expect(costOf('openai', 'gpt-5', { input_tokens: 100, cached_input_tokens: 500, output_tokens: 0 })).toBe(0.0000125);
  });
});
