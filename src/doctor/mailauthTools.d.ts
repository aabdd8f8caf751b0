// mailauth's DKIM key lookup (it fetches and checks `<selector>._domainkey.<domain>`); the package
// ships no types for its lib/tools module.
declare module 'mailauth/lib/tools' {
  export function getPublicKey(
    type: 'DKIM',
    name: string,
    minBitLength: number,
    resolver: (name: string, type: string) => Promise<unknown[]>,
  ): Promise<{ publicKey: string; rr: string; modulusLength?: number }>;
}
