// A DNS server on loopback for tests (the dns2 package): answers from a zone given as data, over UDP
// and TCP on one ephemeral port, NXDOMAIN for a name it does not hold. Long TXT values are split
// into 255-byte strings as DNS requires (a 2048-bit DKIM key is longer than one).
import DNS from 'dns2';

export type DnsRecord =
  | { type: 'TXT'; data: string }
  | { type: 'A' | 'AAAA'; address: string }
  | { type: 'MX'; exchange: string; priority: number }
  | { type: 'CNAME'; domain: string };

/** name (any case, no trailing dot) → its records */
export type Zone = Readonly<Record<string, readonly DnsRecord[]>>;

export interface LoopbackDns {
  readonly host: string;
  readonly port: number;
  /** "127.0.0.1:<port>", as a --dns-server option takes it */
  readonly address: string;
  /** every question asked, as "<name> <TYPE>", oldest first */
  readonly queries: string[];
  /** replaces the zone the answers come from */
  setZone(zone: Zone): void;
  stop(): Promise<void>;
}

const TYPE_NAMES = new Map(Object.entries(DNS.Packet.TYPE).map(([name, code]) => [code as number, name]));
const NXDOMAIN = 3;

export async function startDnsServer(zone: Zone): Promise<LoopbackDns> {
  let names = byName(zone);
  const queries: string[] = [];
  const handle: DNS.DnsHandler = (request, send) => {
    const response = DNS.Packet.createResponseFromRequest(request);
    for (const question of request.questions) {
      const type = TYPE_NAMES.get(question.type) ?? String(question.type);
      queries.push(`${question.name} ${type}`);
      const records = names.get(question.name.toLowerCase().replace(/\.$/, ''));
      if (!records) response.header.rcode = NXDOMAIN;
      for (const record of records?.filter((r) => r.type === type) ?? []) {
        response.answers.push(DNS.Packet.createResourceFromQuestion(question, { ttl: 60, ...rdata(record) }));
      }
    }
    void send(response);
  };
  for (let attempt = 1; ; attempt++) {
    const tcp = DNS.createTCPServer(handle);
    await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(0, '127.0.0.1', resolve));
    const port = (tcp.address() as { port: number }).port;
    const udp = DNS.createUDPServer(handle);
    try {
      // the same port number for UDP: a client that gets a truncated answer retries over TCP there
      await new Promise<void>((resolve, reject) => udp.once('error', reject).bind(port, '127.0.0.1', resolve));
    } catch (err) {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      if (attempt < 5 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw err;
    }
    return {
      host: '127.0.0.1',
      port,
      address: `127.0.0.1:${port}`,
      queries,
      setZone(next) {
        names = byName(next);
      },
      async stop() {
        await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
      },
    };
  }
}

function byName(zone: Zone): Map<string, readonly DnsRecord[]> {
  return new Map(Object.entries(zone).map(([name, records]) => [name.toLowerCase().replace(/\.$/, ''), records]));
}

/** The record's own fields as dns2 encodes them. */
function rdata(record: DnsRecord): Partial<DNS.Packet.Resource> {
  switch (record.type) {
    case 'TXT':
      return { data: chunks(record.data) };
    case 'A':
    case 'AAAA':
      return { address: record.address };
    case 'MX':
      return { exchange: record.exchange, priority: record.priority };
    case 'CNAME':
      return { domain: record.domain };
  }
}

function chunks(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const parts: string[] = [];
  for (let at = 0; at < bytes.length; at += 255) parts.push(bytes.subarray(at, at + 255).toString('utf8'));
  return parts.length > 0 ? parts : [''];
}
