// One line saying which delivery policy is in effect, for `npm start` and operators' logs:
//   Delivery policy (relay-policy.json): 10 destinations: jp-docomo 60/min x1 4h, ...; smart host
//   default 30/min+100/h (acs-custom-domain), smart host domestic smtp.example.jp:587 login 600/min;
//   routes: destinations jp-docomo -> domestic, default; 4 reactions; warm-up: sender example.jp
// A smart host shows where it is and how it logs in, never its password or the setting holding it.
import type { DeliveryPolicy, Destination, Route, SmartHostLimits } from './types';

export function summarizePolicy(policy: DeliveryPolicy): string {
  const destinations = policy.destinations.map(describeDestination);
  const hosts = [...policy.smartHosts.values()].map(describeSmartHost);
  const warmup = policy.warmup.map((plan) => `${plan.kind === 'sender' ? 'sender' : 'smart host'} ${plan.name}`);
  return [
    `Delivery policy (${policy.source}): ${destinations.length} destination${destinations.length === 1 ? '' : 's'}${destinations.length ? `: ${destinations.join(', ')}` : ''}`,
    hosts.length ? hosts.join(', ') : 'smart host default unlimited',
    ...(policy.routes.length ? [`routes: ${policy.routes.map(describeRoute).join('; ')}`] : []),
    `${policy.reactions.length} reaction${policy.reactions.length === 1 ? '' : 's'}`,
    `warm-up: ${warmup.length ? warmup.join(', ') : 'none'}`,
  ].join('; ');
}

function describeDestination(d: Destination): string {
  const parts = [
    d.rate.map((r) => r.text).join('+'),
    d.concurrency !== undefined ? `x${d.concurrency}` : '',
    d.hours ? `${d.hours.from}-${d.hours.to}` : '',
    d.lifetimeSeconds !== undefined ? `${Math.round(d.lifetimeSeconds / 60)}min` : '',
    d.maxMessageBytes !== undefined ? `<=${d.maxMessageBytes}B` : '',
    d.charset ?? '',
  ].filter(Boolean);
  return parts.length ? `${d.name} ${parts.join(' ')}` : d.name;
}

function describeSmartHost(h: SmartHostLimits): string {
  const limits = [h.rate.map((r) => r.text).join('+'), h.concurrency !== undefined ? `x${h.concurrency}` : ''].filter(Boolean).join(' ');
  const at = h.connection ? `${h.connection.host}:${h.connection.port} ${h.connection.auth} ` : '';
  return `smart host ${h.name} ${at}${limits || 'unlimited'}${h.profile ? ` (${h.profile})` : ''}`;
}

function describeRoute(r: Route): string {
  const { recipientDomains, destinations, senderDomains, tags } = r.match;
  const match = [
    recipientDomains ? `recipientDomains ${recipientDomains.join(',')}` : '',
    destinations ? `destinations ${destinations.join(',')}` : '',
    senderDomains ? `senderDomains ${senderDomains.join(',')}` : '',
    tags && Object.keys(tags).length
      ? `tags ${Object.entries(tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}`
      : '',
  ].filter(Boolean);
  return `${match.join(' ') || 'everything'} -> ${r.smartHosts.join(', ')}${r.warmupOverflow ? ' (warm-up overflow)' : ''}`;
}
