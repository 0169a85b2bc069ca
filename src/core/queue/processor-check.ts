import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { ALL_QUEUES } from './queue-names';

const PROCESSOR_METADATA = 'bullmq:processor_metadata';

/** Queue names served by the @Processor classes among the given instances' classes. */
export function processorQueues(discovery: DiscoveryService): string[] {
  return discovery
    .getProviders()
    .map((w) => (w.metatype ? (Reflect.getMetadata(PROCESSOR_METADATA, w.metatype) as { name?: string } | string | undefined) : undefined))
    .filter((m): m is { name?: string } | string => m !== undefined)
    .map((m) => (typeof m === 'string' ? m : (m.name ?? '')));
}

/** Refuses to start a worker in which a queue has no processor, or two (the jobs would be split or lost). */
export function checkProcessors(queues: readonly string[], served: readonly string[]): string[] {
  const problems: string[] = [];
  for (const q of queues) {
    const n = served.filter((s) => s === q).length;
    if (n === 0) problems.push(`queue "${q}" has no processor`);
    if (n > 1) problems.push(`queue "${q}" has ${n} processors`);
  }
  for (const s of new Set(served)) if (!queues.includes(s)) problems.push(`processor for unknown queue "${s}"`);
  return problems;
}

@Injectable()
export class ProcessorCheck implements OnApplicationBootstrap {
  constructor(private readonly discovery: DiscoveryService) {}

  onApplicationBootstrap(): void {
    const problems = checkProcessors(ALL_QUEUES, processorQueues(this.discovery));
    if (problems.length) throw new Error(`worker start-up check failed: ${problems.join('; ')}`);
  }
}
