import type { EmulatorHandle } from '../../src/emulator/emulator';

/** The environment that points the app's three provider clients at an emulator (keys: any value). */
export function emulatorEnv(emu: EmulatorHandle): Record<string, string> {
  return {
    OPENAI_BASE_URL: emu.baseUrls.openai,
    GEMINI_BASE_URL: emu.baseUrls.gemini,
    PERPLEXITY_BASE_URL: emu.baseUrls.perplexity,
    OPENAI_API_KEY: 'emulator-openai-key',
    GOOGLE_API_KEY: 'emulator-google-key',
    PERPLEXITY_API_KEY: 'emulator-perplexity-key',
  };
}
