import OpenAI from 'openai';
import { startEmulator, type EmulatorHandle } from './emulator';

/** Smoke check: the real `openai` SDK (v6) talks to the emulator for OpenAI and Perplexity. */

let emulator: EmulatorHandle;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});

afterAll(async () => {
  await emulator.close();
});

describe('the openai SDK against the emulator', () => {
  it('creates a response through /openai/v1/responses', async () => {
    const client = new OpenAI({ baseURL: emulator.baseUrls.openai, apiKey: 'x', maxRetries: 0 });
    const response = await client.responses.create({
      model: 'gpt-5-mini',
      input: 'What is the best CRM for small teams?',
      tools: [{ type: 'web_search' }],
      include: ['web_search_call.action.sources'],
    });
    expect(response.model).toBe('gpt-5-mini-2025-08-07');
    expect(response.output_text.length).toBeGreaterThan(0);
    const message = response.output.find((o) => o.type === 'message');
    expect(message?.type).toBe('message');
    expect(response.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('creates a Perplexity response through /perplexity/v1/responses', async () => {
    const client = new OpenAI({ baseURL: emulator.baseUrls.perplexity, apiKey: 'x', maxRetries: 0 });
    const response = await client.responses.create({ model: 'perplexity/sonar', input: 'Which CRM is best?' });
    expect(response.model).toBe('perplexity/sonar');
    expect(response.output_text.length).toBeGreaterThan(0);
  });

  it('surfaces injected faults as the SDK error classes', async () => {
    const client = new OpenAI({ baseURL: emulator.baseUrls.openai, apiKey: 'x', maxRetries: 0, timeout: 200 });
    const create = (fault: string) => client.responses.create({ model: 'gpt-5-mini', input: 'Best CRM?' }, { headers: { 'X-Emulator-Fault': fault } });
    const limited = await create('429').catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('1');
    await expect(create('503')).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    // Outside Jest this is APIConnectionTimeoutError; inside Jest's sandbox the SDK does not
    // recognise the abort as its own and reports the parent class.
    await expect(create('timeout')).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    await expect(new OpenAI({ baseURL: emulator.baseUrls.openai, apiKey: 'x', maxRetries: 0 }).responses.create({ model: 'nope', input: 'x' })).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
  });
});
