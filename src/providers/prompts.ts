import { sha256Hex } from '../core/text/normalize';
import type { Prompt, PromptInput } from './provider.types';

/**
 * Versioned prompt templates. A version is never edited once runs use it (results must stay
 * comparable run after run): add a new one instead. The same inputs always give the same prompt
 * and hash.
 */
const TEMPLATES: Record<string, (input: PromptInput) => { system: string | null; user: string }> = {
  /** The question as the persona would type it, with the persona around it as instructions. */
  v1: ({ question, persona }) => {
    const about: string[] = [];
    if (persona?.role) about.push(`a ${persona.role}`);
    if (persona?.domain) about.push(`working in ${persona.domain}`);
    const lines: string[] = [];
    if (about.length) lines.push(`The person asking is ${about.join(', ')}.`);
    if (persona?.locale) lines.push(`Answer in the language and for the market of locale ${persona.locale}.`);
    if (persona?.tone) lines.push(`They prefer a ${persona.tone} tone.`);
    return { system: lines.length ? lines.join(' ') : null, user: question };
  },
  /** v1 plus the topic the question belongs to, for providers that answer better with context. */
  v2: (input) => {
    const base = TEMPLATES.v1(input);
    const topic = input.topic ? `Context: the question is about ${input.topic.title}${input.topic.description ? ` (${input.topic.description})` : ''}.` : null;
    const system = [base.system, topic].filter(Boolean).join(' ');
    return { system: system || null, user: base.user };
  },
};

export const PROMPT_VERSIONS = Object.keys(TEMPLATES);

export class UnknownPromptVersionError extends Error {
  constructor(readonly version: string) {
    super(`unknown prompt version "${version}" (known: ${PROMPT_VERSIONS.join(', ')})`);
  }
}

export function buildPrompt(version: string, input: PromptInput): Prompt {
  const template = TEMPLATES[version];
  if (!template) throw new UnknownPromptVersionError(version);
  const { system, user } = template({ ...input, question: input.question.trim() });
  return { version, system, user, hash: sha256Hex(version, system ?? '', user) };
}
