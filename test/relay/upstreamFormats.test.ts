// The upstreams' formats read into UpstreamEvents: SendGrid's batch, and ACS delivery reports in both
// of Event Grid's schemas; the relay's own sends carry what those events are matched by.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import { parseVerpAddress, recipientTag } from '../../src/core/verp';
import { deliverTask } from '../../src/relay/deliverTask';
import { ACS_DELIVERY_REPORT, arrayOfObjects, gridEnvelopes, readAcsEvents, readSendGridEvents } from '../../src/relay/upstreamFormats';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const NOW = new Date('2026-03-01T10:00:00.000Z');

test('SendGrid events: every field the relay uses, bounce told from block, unusable elements skipped', FILE_TIMEOUT, () => {
  const items = [
    {
      email: 'user@example.net',
      timestamp: 1772359200,
      'smtp-id': '<0195...@example.jp>',
      event: 'bounce',
      type: 'bounce',
      sg_event_id: 'ZXZlbnQtMQ',
      sg_message_id: 'nhIMmON9SFOPcT0ii4nt2A.filterdrecv-p3mdw1-1-5F5FC1BC-95.0',
      reason: '550 5.1.1 The email account that you tried to reach does not exist.',
      status: '5.1.1',
    },
    { email: 'other@example.net', timestamp: 'garbage', event: 'bounce', type: 'blocked', reason: '550 5.7.1 blocked by policy', sg_event_id: 'ZXZlbnQtMg' },
    { email: 'user@example.net', event: 'spamreport', sg_event_id: 'ZXZlbnQtMw', timestamp: 1772359300 },
    { event: 'bounce' }, // no address
    { email: 'x@example.net' }, // no event
  ];
  const read = readSendGridEvents(items, NOW);
  assert.equal(read.skipped, 2);
  assert.deepEqual(read.events[0], {
    source: 'sendgrid',
    type: 'bounce',
    smtpCode: 550,
    enhancedCode: '5.1.1',
    response: '550 5.1.1 The email account that you tried to reach does not exist.',
    eventId: 'ZXZlbnQtMQ',
    recipient: 'user@example.net',
    internetMessageId: '<0195...@example.jp>',
    upstreamId: 'nhIMmON9SFOPcT0ii4nt2A',
    at: new Date(1772359200 * 1000),
  });
  assert.equal(read.events[1].type, 'blocked');
  assert.equal(read.events[1].enhancedCode, '5.7.1');
  assert.deepEqual(read.events[1].at, NOW, 'a timestamp that is no number is read as now');
  assert.equal(read.events[2].type, 'spamreport');
});

test('a SendGrid body must be an array of objects', FILE_TIMEOUT, () => {
  assert.equal(arrayOfObjects([{}, {}]).ok, true);
  for (const bad of [{}, 'text', 42, null, [{}, 3], [[]]]) assert.equal(arrayOfObjects(bad).ok, false, JSON.stringify(bad));
});

const REPORT = {
  sender: 'DoNotReply@mail.example.jp',
  recipient: 'user@example.net',
  messageId: '7f1e9a3c-0000-4000-8000-000000000001',
  internetMessageId: '<id@example.jp>',
  status: 'Bounced',
  deliveryStatusDetails: { statusMessage: '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found' },
  deliveryAttemptTimeStamp: '2026-03-01T09:59:00.000Z',
};

test('ACS delivery reports in the Event Grid schema and as CloudEvents read alike', FILE_TIMEOUT, () => {
  const expected = {
    source: 'acs',
    type: 'Bounced',
    smtpCode: 550,
    enhancedCode: '5.1.1',
    response: '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found',
    eventId: 'eg-1',
    recipient: 'user@example.net',
    internetMessageId: '<id@example.jp>',
    upstreamId: REPORT.messageId,
    at: new Date('2026-03-01T09:59:00.000Z'),
  };
  const gridSchema = [{ id: 'eg-1', eventType: ACS_DELIVERY_REPORT, eventTime: '2026-03-01T10:00:00Z', data: REPORT, dataVersion: '1.0' }];
  const cloudEvent = { specversion: '1.0', id: 'eg-1', type: ACS_DELIVERY_REPORT, source: '/subscriptions/x', time: '2026-03-01T10:00:00Z', data: REPORT };
  for (const body of [gridSchema, cloudEvent, [cloudEvent]]) {
    const grid = gridEnvelopes(body);
    assert.ok(grid.ok);
    assert.deepEqual(readAcsEvents(grid.envelopes, NOW), { events: [expected], skipped: 0 });
  }
  // engagement reports and reports without a recipient are skipped
  const other = gridEnvelopes([
    { id: 'e2', eventType: 'Microsoft.Communication.EmailEngagementTrackingReportReceived', data: REPORT },
    { id: 'e3', eventType: ACS_DELIVERY_REPORT, data: { status: 'Delivered' } },
  ]);
  assert.ok(other.ok);
  assert.deepEqual(readAcsEvents(other.envelopes, NOW), { events: [], skipped: 2 });
  assert.equal(gridEnvelopes({ not: 'an event' }).ok, false);
});

test('with RELAY_BOUNCE_DOMAIN the envelope sender is the VERP address, and the 250 id is kept', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({ RELAY_BOUNCE_DOMAIN: 'Bounce.Example.com' }, NOW);
  relay.smartHost.replies = [{ kind: 'accepted', smtpCode: 250, enhancedCode: '2.0.0', response: '250 2.0.0 Ok: queued as 4BxYz1234' }];
  const id = newMessageId(NOW);
  relay.deliveries.seed(queuedRow(id, NOW));
  await deliverTask(relay.deps, newDeliveryTask(id, 'rcpt@example.net', 1, encodeInlineBody(Buffer.from('Subject: hi\r\n\r\nhi\r\n'))), new FakeLog());
  const [sent] = relay.smartHost.sent;
  assert.equal(sent?.envelope.to, 'Rcpt@example.net');
  assert.deepEqual(parseVerpAddress(sent?.envelope.from ?? '', 'bounce.example.com'), { messageId: id, tag: recipientTag('rcpt@example.net') });
  const row = relay.deliveries.row(id, 'rcpt@example.net');
  assert.equal(row?.status, 'sent');
  assert.equal(row?.upstreamId, '4BxYz1234');
  assert.equal(relay.events.recorded[0]?.row.upstreamId, '4BxYz1234');
});
