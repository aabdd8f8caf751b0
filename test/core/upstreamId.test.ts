// The upstream's id from its 250 reply: a corpus of replies as the smart hosts write them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sendGridUpstreamId, upstreamIdFromReply } from '../../src/core/upstreamId';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const CORPUS: readonly [string, string | undefined][] = [
  ['250 2.0.0 Ok: queued as 4BxYz1234AB', '4BxYz1234AB'], // Postfix
  ['250 2.0.0 Ok: queued as E8ABB3AD5C', 'E8ABB3AD5C'], // Postfix, hex queue id
  ['250 Ok: queued as nhIMmON9SFOPcT0ii4nt2A', 'nhIMmON9SFOPcT0ii4nt2A'], // SendGrid
  ['250 2.0.0 Ok: queued as 9F2C0A1B3D', '9F2C0A1B3D'], // the development smart host
  [
    '250 2.6.0 <JIRA.938152.1690810170000.3399613.1691573583862@Atlassian.JIRA> [InternalId=105849469029151, Hostname=AS8PR07MB7669.eurprd07.prod.outlook.com] 29353 bytes in 0.060, 472.320 KB/sec Queued mail for delivery',
    '105849469029151',
  ], // Exchange Online
  ['250 OK id=1tXyZa-0001Ab-Cd', '1tXyZa-0001Ab-Cd'], // Exim
  ['250 Ok 0100017b0e35a8c6-2021949e-71e7-4802-aa95-ae62b696b836-000000', '0100017b0e35a8c6-2021949e-71e7-4802-aa95-ae62b696b836-000000'], // Amazon SES
  ['250 2.0.0 OK queued', undefined], // no id given
  ['250 2.0.0 OK <abc@example.jp> [Hostname=TYCPR01MB1234.jpnprd01.prod.outlook.com]', undefined], // Exchange client submission: Message-ID only
  ['550 5.1.1 queued as NOTOURS', undefined], // not an acceptance
  ['', undefined],
];

test('reads the id of each smart host wording, and none where there is none', FILE_TIMEOUT, () => {
  for (const [reply, id] of CORPUS) assert.equal(upstreamIdFromReply(reply), id, reply);
  assert.equal(upstreamIdFromReply(undefined), undefined);
});

test("SendGrid's sg_message_id begins with the id of its 250", FILE_TIMEOUT, () => {
  assert.equal(sendGridUpstreamId('nhIMmON9SFOPcT0ii4nt2A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC1BC-95.0'), 'nhIMmON9SFOPcT0ii4nt2A');
  assert.equal(sendGridUpstreamId('nhIMmON9SFOPcT0ii4nt2A'), 'nhIMmON9SFOPcT0ii4nt2A');
});
