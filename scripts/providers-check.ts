/**
 * npm run providers:check [-- "question"] — sends one question to each provider whose key is set
 * (OPENAI_API_KEY, GOOGLE_API_KEY, PERPLEXITY_API_KEY; base URLs and models from the environment:
 * CHECK_OPENAI_MODEL, CHECK_GEMINI_MODEL, CHECK_PERPLEXITY_MODEL) and prints each normalized
 * result as one JSON line. Exits 1 when a configured provider fails, 2 when none is configured.
 */
import 'reflect-metadata';
import { loadAppConfig, PROVIDER_NAMES, type ProviderName } from '../src/core/config/app-config';
import { ProviderError } from '../src/providers/provider.errors';
import { ProvidersService } from '../src/providers/providers.service';

const MODELS: Record<ProviderName, string> = {
  openai: process.env.CHECK_OPENAI_MODEL ?? 'gpt-5-mini',
  gemini: process.env.CHECK_GEMINI_MODEL ?? 'gemini-2.5-flash',
  perplexity: process.env.CHECK_PERPLEXITY_MODEL ?? 'perplexity/sonar',
};

async function main(): Promise<number> {
  // The check needs no database and no API key of its own: placeholders satisfy the config.
  const config = loadAppConfig({ API_KEYS: 'providers-check', DATABASE_URL: 'postgres://unused/none', ...process.env });
  const providers = new ProvidersService(config);
  const question = process.argv[2] ?? 'Which CRM should a 20-person marketing agency pick in 2026, and why?';
  const configured = providers.configured();
  if (configured.length === 0) {
    console.error(`no provider key is set (${PROVIDER_NAMES.map((p) => (p === 'gemini' ? 'GOOGLE_API_KEY' : `${p.toUpperCase()}_API_KEY`)).join(', ')})`);
    return 2;
  }
  let failed = 0;
  for (const provider of configured) {
    const request = providers.prepare({ provider, model: MODELS[provider] }, { question, persona: null, topic: null }, 'v1');
    try {
      const { raw_response: _raw, ...result } = await providers.invoke(request);
      console.log(JSON.stringify({ ok: true, ...result }));
    } catch (err) {
      failed++;
      const e = err instanceof ProviderError ? { code: err.code, retryable: err.retryable, status: err.status, message: err.message } : { message: String(err) };
      console.log(JSON.stringify({ ok: false, provider, model: MODELS[provider], error: e }));
    }
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
