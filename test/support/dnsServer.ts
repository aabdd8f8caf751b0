// A DNS server on loopback (dns2) that answers from a zone given as data, over UDP and TCP on the
// same ephemeral port (a large TXT answer is truncated over UDP and asked again over TCP). A name
// the zone does not hold is NXDOMAIN; a name it holds without the record type asked for answers
// with no records (NODATA), as real servers do.
import DNS from 'dns2';

export interface ZoneRecords {
  A?: string[];
  AAAA?: string[];
  MX?: { exchange: string; priority: number }[];
  TXT?: string[];
}

/** by lower-case name, without the trailing dot */
export type Zone = Record<string, ZoneRecords>;

export interface DnsServer {
  /** "127.0.0.1:<port>", for --dns-server */
  readonly address: string;
  /** the zone answered from now on */
  setZone(zone: Zone): void;
  /** names asked, in order (name and type) */
  readonly asked: string[];
  close(): Promise<void>;
}

const { Packet } = DNS;
/** RFC 1035 4.1.1: the name does not exist */
const NXDOMAIN = 3;

/** A TXT record's text in the 255-octet pieces a character-string holds. */
function pieces(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 255) out.push(text.slice(i, i + 255));
  return out.length > 0 ? out : [''];
}

function answer(zone: Zone, request: DNS.Packet): DNS.Packet {
  const response = Packet.createResponseFromRequest(request);
  const question = request.questions[0];
  if (question === undefined) return response;
  const name = question.name.toLowerCase().replace(/\.$/, '');
  const records = zone[name];
  if (records === undefined) {
    response.header.rcode = NXDOMAIN;
    return response;
  }
  const base = { name: question.name, class: Packet.CLASS.IN, ttl: 60 };
  const add = (resource: Record<string, unknown>) => response.answers.push({ ...base, ...resource } as unknown as DNS.Packet.Resource);
  switch (question.type) {
    case Packet.TYPE.A:
      for (const address of records.A ?? []) add({ type: Packet.TYPE.A, address });
      break;
    case Packet.TYPE.AAAA:
      for (const address of records.AAAA ?? []) add({ type: Packet.TYPE.AAAA, address });
      break;
    case Packet.TYPE.MX:
      for (const mx of records.MX ?? []) add({ type: Packet.TYPE.MX, exchange: mx.exchange, priority: mx.priority });
      break;
    case Packet.TYPE.TXT:
      for (const text of records.TXT ?? []) add({ type: Packet.TYPE.TXT, data: pieces(text) });
      break;
  }
  return response;
}

export async function startDnsServer(initial: Zone = {}): Promise<DnsServer> {
  let zone = initial;
  const asked: string[] = [];
  const handle: DNS.DnsHandler = (request, send) => {
    const q = request.questions[0];
    if (q) asked.push(`${q.name.toLowerCase()} ${Object.entries(Packet.TYPE).find(([, v]) => v === q.type)?.[0] ?? q.type}`);
    void send(answer(zone, request));
  };
  for (let attempt = 0; ; attempt++) {
    const udp = DNS.createUDPServer(handle);
    await udp.listen(0, '127.0.0.1');
    const port = udp.address().port;
    const tcp = DNS.createTCPServer(handle);
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!listening) {
      udp.close();
      if (attempt < 5) continue;
      throw new Error('no port free for both UDP and TCP on 127.0.0.1');
    }
    return {
      address: `127.0.0.1:${port}`,
      asked,
      setZone: (next) => {
        zone = next;
      },
      close: async () => {
        await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
      },
    };
  }
}
