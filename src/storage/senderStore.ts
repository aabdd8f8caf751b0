// The senders table: the bounce-rate breaker's counts and pauses per sender domain.
// Foundation only: counts nothing and never pauses; the breaker (issue 9) replaces this file.
import type { RelayConfig } from '../config';
import type { SenderCounts, SenderPause, SenderReputation, SenderView } from '../relay/ports';
import type { TableClient } from '@azure/data-tables';

export class SenderStore implements SenderReputation {
  constructor(
    private readonly table: TableClient,
    private readonly config: RelayConfig,
  ) {}

  record(_senderDomain: string, _counts: SenderCounts, _at: Date): void {}

  pauseOf(_senderDomain: string): Promise<SenderPause | undefined> {
    return Promise.resolve(undefined);
  }

  view(senderDomain: string): Promise<SenderView> {
    return Promise.resolve(emptyView(senderDomain, this.config));
  }

  resume(senderDomain: string, _at: Date): Promise<SenderView> {
    void this.table;
    return Promise.resolve(emptyView(senderDomain, this.config));
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}
}

function emptyView(domain: string, config: RelayConfig): SenderView {
  const windowStart = new Date(Date.now() - config.breaker.windowHours * 3_600_000).toISOString();
  return {
    domain,
    state: 'active',
    windowStart,
    attempts: 0,
    hardBounces: 0,
    complaints: 0,
    bounceRate: 0,
    complaintRate: 0,
    pausedAt: null,
    pausedReason: null,
    resumedAt: null,
  };
}
