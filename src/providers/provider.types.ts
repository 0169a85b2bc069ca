import type { ProviderName } from '../core/config/app-config';

export type { ProviderName };

/** One provider setting of a run: which engine, which model, and how to call it. */
export interface ProviderSetting {
  provider: ProviderName;
  model: string;
  /** Provider-specific switches (see each client): web_search, search_context_size, user_location, preset, resolve_redirects, … */
  settings?: Record<string, unknown>;
}

/** What a question is asked as: the question with who asks it and about what. */
export interface PromptInput {
  question: string;
  persona: { name: string; role: string | null; domain: string | null; locale: string | null; tone: string | null } | null;
  topic: { title: string; description: string | null } | null;
}

export interface Prompt {
  version: string;
  /** Instructions that frame the question (the persona), or null when there is nothing to say. */
  system: string | null;
  user: string;
  /** sha256 of version, system and user: the same inputs always give the same hash. */
  hash: string;
}

/** A request ready to send: the provider's own body (no secrets), and where it goes. */
export interface PreparedRequest {
  provider: ProviderName;
  model: string;
  prompt: Prompt;
  settings: Record<string, unknown>;
  /** The request body as sent. */
  body: Record<string, unknown>;
  /** Path below the provider's base URL. */
  path: string;
}

export interface Citation {
  url: string;
  title: string | null;
  /** Host name without "www." (the registrable domain is the analysis' business). */
  domain: string;
  /** 1-based order of first appearance in the answer. */
  position: number;
  /** The answer text the citation supports, when the provider says. */
  cited_text?: string;
}

export interface Usage {
  input_tokens: number | null;
  output_tokens: number | null;
  cached_input_tokens?: number | null;
  reasoning_tokens?: number | null;
  /** Web searches the provider ran (some price them per call). */
  search_calls?: number | null;
  total_tokens?: number | null;
}

export interface ProviderResult {
  provider: ProviderName;
  text: string;
  citations: Citation[];
  /** Pages the provider retrieved but did not cite in the text. */
  sources: { url: string; title: string | null; domain: string }[];
  search_queries: string[];
  usage: Usage;
  latency_ms: number;
  cost_usd: number | null;
  /** Where the cost came from: the provider's own figure, the price table, or unknown. */
  cost_source: 'provider' | 'price_table' | 'unknown';
  /** The price table version the cost was computed with (null when the provider reported it, or it is unknown). */
  price_table_version: string | null;
  requested_model: string;
  served_model: string | null;
  /** completed, refused, empty, … as the provider reports it. */
  finish_reason: string | null;
  prompt_version: string;
  prompt_hash: string;
  raw_request: Record<string, unknown>;
  raw_response: unknown;
}
