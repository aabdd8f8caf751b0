// Real replies, reasons and upstream reports, each with how the bounce rules must classify it and
// which row says so. Wordings are the providers' and carriers' own, as published or as collected by
// sisimai, KumoMTA and ZoneMTA (addresses and IPs replaced by documentation ones); where no provider
// wording was at hand (a few enhanced classes), the reply uses RFC 3463's or RFC 5321's own text.
import type { Category } from '../../src/core/categories';
import type { RuleOutcome } from '../../src/core/bounceRules';

export interface CorpusEntry {
  /** who answers so */
  source: string;
  /** the reply text, an upstream's reason text, or (with errorCode) nodemailer's error message */
  reply?: string;
  /** the basic code as nodemailer or the upstream reports it apart from the text */
  code?: number;
  /** nodemailer's error code */
  errorCode?: string;
  /** an upstream report ("sendgrid:bounce"); `reply` is then the reason it passed on */
  event?: string;
  enhancedCode?: string;
  expect: { outcome: RuleOutcome; category?: Category; rule: string; replyRule?: string };
}

const perm = (category: Category, rule: string) => ({ outcome: 'permanent' as const, category, rule });
const temp = (category: Category, rule: string) => ({ outcome: 'temporary' as const, category, rule });

export const BOUNCE_CORPUS: readonly CorpusEntry[] = [
  // nodemailer's own errors: the relay's session to the smart host
  { source: 'dev smart host', errorCode: 'EAUTH', code: 535, reply: '535 5.7.8 Error: authentication failed', expect: temp('auth', 'relay-eauth') },
  { source: 'nodemailer', errorCode: 'ENOAUTH', reply: 'Missing credentials for "PLAIN"', expect: temp('auth', 'relay-enoauth') },
  { source: 'nodemailer', errorCode: 'ETLS', reply: 'self-signed certificate in certificate chain', expect: temp('tls', 'relay-etls') },
  { source: 'nodemailer', errorCode: 'ECONNECTION', reply: 'connect ECONNREFUSED 127.0.0.1:587', expect: temp('connection', 'relay-econnection') },
  {
    source: 'smart host refusing the session',
    errorCode: 'ECONNECTION',
    code: 554,
    reply: '554 5.7.1 smtp.example.net: access denied',
    expect: temp('connection', 'relay-econnection'),
  },
  // A 421 closes the session: nodemailer reports ECONNECTION carrying the receiver's own reply.
  {
    source: 'Gmail via nodemailer',
    errorCode: 'ECONNECTION',
    code: 421,
    reply: '421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address.',
    expect: temp('rate-limit', 'x-4.7.28'),
  },
  { source: 'nodemailer', errorCode: 'ETIMEDOUT', reply: 'Greeting never received', expect: temp('timeout', 'relay-etimedout') },
  { source: 'nodemailer', errorCode: 'ESOCKET', reply: 'read ECONNRESET', expect: temp('connection', 't-socket-error') },
  { source: 'nodemailer, untrusted CA', errorCode: 'ESOCKET', reply: 'unable to verify the first certificate', expect: temp('tls', 't-tls-certificate') },
  { source: 'nodemailer', errorCode: 'EDNS', reply: 'getaddrinfo ENOTFOUND smtp.example.net', expect: temp('connection', 'relay-edns') },
  {
    source: 'nodemailer',
    errorCode: 'EPROTOCOL',
    code: 554,
    reply: '554 smtp.example.net ESMTP not accepting connections',
    expect: temp('connection', 'relay-eprotocol'),
  },
  { source: 'nodemailer', errorCode: 'ECONFIG', reply: 'Unsupported authentication method', expect: temp('other', 'relay-econfig') },
  // exact enhanced codes
  {
    source: 'Gmail',
    reply:
      "550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking the recipient's email address for typos or\n550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser",
    expect: perm('invalid-recipient', 'x-5.1.1'),
  },
  { source: 'dev smart host (bounce-)', reply: '550 5.1.1 Recipient address rejected: User unknown', expect: perm('invalid-recipient', 'x-5.1.1') },
  { source: 'docomo via sendmail', reply: '550 5.1.1 <taro@docomo.ne.jp>... User unknown', expect: perm('invalid-recipient', 'x-5.1.1') },
  {
    source: 'Orange (ZoneMTA)',
    reply: '550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]',
    expect: perm('invalid-recipient', 'x-5.1.1'),
  },
  {
    source: 'Gmail',
    reply: "553-5.1.2 We weren't able to find the recipient domain. Please check for any\n553 5.1.2 spelling errors",
    expect: perm('invalid-recipient', 'x-5.1.2'),
  },
  { source: 'Gmail', reply: '553-5.1.3 The recipient address <taro@example> is not a valid RFC 5321 address.', expect: perm('invalid-recipient', 'x-5.1.3') },
  { source: 'Exchange (sisimai)', reply: '550 5.1.6 Recipient addresses in single label domains not accepted', expect: perm('invalid-recipient', 'x-5.1.6') },
  {
    source: 'Exchange Online',
    reply: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
    expect: perm('invalid-recipient', 'x-5.1.10'),
  },
  { source: 'Gmail', reply: '553 5.1.7 The sender address <app@example> is not a valid RFC 5321 address.', expect: perm('policy', 'x-5.1.7') },
  { source: 'Postfix', reply: '553 5.1.8 <app@nx.example.com>: Sender address rejected: Domain not found', expect: perm('policy', 'x-5.1.8') },
  { source: 'Gmail', reply: "552-5.2.2 The recipient's inbox is out of storage space and inactive.", expect: perm('mailbox-full', 'x-5.2.2') },
  { source: 'dev smart host (full-)', reply: '552 5.2.2 Mailbox full', expect: perm('mailbox-full', 'x-5.2.2') },
  {
    source: 'Gmail',
    reply:
      '452-4.2.2 The email account that you tried to reach is over quota. Please direct\n452 4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp',
    expect: temp('mailbox-full', 'x-4.2.2'),
  },
  { source: 'Gmail', reply: "552-5.2.3 Your message exceeded Google's message size limits.", expect: perm('message-too-large', 'x-5.2.3') },
  { source: 'Postfix, dev smart host', reply: '552 5.3.4 Message size exceeds fixed limit', expect: perm('message-too-large', 'x-5.3.4') },
  { source: 'Gmail', reply: '550 5.5.3 Too many recipients for this sender', expect: temp('rate-limit', 'x-5.5.3') },
  { source: 'Gmail', reply: '452 4.5.3 Your message has too many recipients.', expect: temp('rate-limit', 'x-4.5.3') },
  { source: 'dev smart host (toomany-)', reply: '452 4.5.3 Error: too many recipients', expect: temp('rate-limit', 'x-4.5.3') },
  {
    source: 'Exchange Online',
    reply: "550 5.2.121 Recipient's per hour message receive limit from specific sender exceeded.",
    expect: temp('rate-limit', 'x-5.2.121'),
  },
  { source: 'Exchange Online', reply: "550 5.2.122 Recipient's per hour message receive limit exceeded.", expect: temp('rate-limit', 'x-5.2.122') },
  { source: 'Gmail', reply: '550-5.4.5 Daily user sending limit exceeded.', expect: temp('rate-limit', 'x-5.4.5') },
  { source: 'Postfix', reply: '451 4.4.1 Connection timed out', expect: temp('timeout', 'x-4.4.1') },
  { source: 'Postfix', reply: '451 4.4.7 Delivery time expired', expect: temp('timeout', 'x-4.4.7') },
  {
    source: 'KumoMTA',
    reply: '551 5.4.7 Next delivery time would be at SOME TIME which exceeds the expiry time EXPIRES configured via set_scheduling',
    expect: perm('timeout', 'x-5.4.7'),
  },
  { source: 'Gmail, in a report', reply: '535-5.7.8 Username and Password not accepted.', expect: temp('auth', 'x-5.7.8') },
  { source: 'Exchange', reply: '550 5.7.23 The message was rejected because of Sender Policy Framework violation', expect: perm('policy', 'x-5.7.23') },
  { source: 'Gmail', reply: '550-5.7.25 [192.0.2.1] The IP address sending this message does not have a PTR record setup', expect: perm('policy', 'x-5.7.25') },
  {
    source: 'Gmail',
    reply: "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\n550-5.7.26 DMARC policy.",
    expect: perm('policy', 'x-5.7.26'),
  },
  { source: 'RFC 7505', reply: '550 5.7.27 Sender address has null MX', expect: perm('policy', 'x-5.7.27') },
  {
    source: 'Gmail',
    reply: '421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address.',
    expect: temp('rate-limit', 'x-4.7.28'),
  },
  {
    source: 'dev smart host (ratelimit-)',
    reply: '421 4.7.28 Our system has detected an unusual rate of mail originating from your IP address',
    expect: temp('rate-limit', 'x-4.7.28'),
  },
  {
    source: 'Gmail',
    reply: "550-5.7.28 There's an unusual rate of unsolicited mail originating from your IP address. Mail sent from your IP address has been blocked.",
    expect: perm('reputation', 'x-5.7.28'),
  },
  {
    source: 'Exchange Online',
    reply: '550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification and has a DMARC policy of reject.',
    expect: perm('policy', 'x-5.7.509'),
  },
  {
    source: 'Exchange Online',
    reply:
      '550 5.7.511 Access denied, banned sender[192.0.2.1]. To request removal from this list please forward this message to delist@messaging.microsoft.com.',
    expect: perm('reputation', 'x-5.7.511'),
  },
  {
    source: 'Outlook.com',
    reply: "550 5.7.515 Access denied, sending domain example.com doesn't meet the required authentication level.",
    expect: perm('policy', 'x-5.7.515'),
  },
  {
    source: 'Exchange Online',
    reply: '550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from this list please visit https://sender.office.com/',
    expect: perm('reputation', 'x-5.7.606'),
  },
  {
    source: 'Outlook.com (sisimai)',
    reply:
      '451 4.7.650 The mail server [192.0.2.5] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775)',
    expect: temp('reputation', 'x-4.7.650'),
  },
  {
    source: 'Outlook.com (sisimai)',
    reply: '451 4.7.652 The mail server [192.0.2.251] has exceeded the maximum number of connections. (S3115)',
    expect: temp('rate-limit', 'x-4.7.652'),
  },
  // text patterns
  { source: 'dev smart host, Postfix', reply: '530 5.7.0 Must issue a STARTTLS command first', expect: temp('tls', 't-starttls-required') },
  { source: 'dev smart host', reply: '530 5.7.0 Authentication required', expect: temp('auth', 't-auth-required') },
  { source: 'Exim', reply: '535 Incorrect authentication data', expect: temp('auth', 't-auth-reply') },
  { source: 'Postfix smart host', reply: '554 5.7.1 <hanako@example.net>: Relay access denied', expect: temp('auth', 't-relay-denied') },
  { source: 'docomo', reply: '552 too many recipients', expect: temp('rate-limit', 't-too-many-recipients') },
  { source: 'docomo', reply: '554 Transaction failed', expect: temp('rate-limit', 't-docomo-transaction-failed') },
  { source: 'Amazon SES', reply: "554 Transaction failed: Duplicate header 'DKIM-Signature'.", expect: perm('policy', 't-authentication-policy') },
  {
    source: 'Gmail',
    reply: '450-4.2.1 The user you are trying to contact is receiving mail at a rate that\n450-4.2.1 prevents additional messages from being delivered.',
    expect: temp('rate-limit', 't-receiving-too-quickly'),
  },
  {
    source: 'Gmail',
    reply: '421-4.7.0 Our system has detected an unusual rate of unsolicited mail originating from your IP address.',
    expect: temp('rate-limit', 't-unusual-rate-deferred'),
  },
  {
    source: 'Gmail',
    reply:
      '550-5.7.1 Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been blocked.',
    expect: perm('reputation', 't-unusual-rate-refused'),
  },
  {
    source: 'Orange (ZoneMTA)',
    reply: '421 mwinf5c63 ME Trop de connexions, veuillez verifier votre configuration. Too many connections, slow down. OFR005_104 [104]',
    expect: temp('rate-limit', 't-sending-limits'),
  },
  {
    source: 'Yahoo',
    reply:
      '421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes',
    expect: temp('reputation', 't-yahoo-tss04'),
  },
  {
    source: 'Yahoo/AOL (ZoneMTA)',
    reply: '[IPTS04] Messages from 192.0.2.25 temporarily deferred due to user complaints - 4.16.55.1',
    expect: temp('reputation', 't-yahoo-ipts04'),
  },
  { source: 'Yahoo (ZoneMTA)', reply: '451 VS1-IP Excessive unknown recipients - possible Open Relay', expect: temp('reputation', 't-yahoo-vs-ip') },
  { source: 'dev smart host (grey-)', reply: '451 4.7.1 Greylisted, try again later', expect: temp('other', 't-greylisted') },
  {
    source: 'postgrey',
    reply: '450 4.2.0 <hanako@example.net>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.net.html',
    expect: temp('other', 't-greylisted'),
  },
  { source: 'au/KDDI (sisimai)', reply: '550 : User unknown', expect: perm('policy', 't-kddi-filtered') },
  {
    source: 'au/KDDI returned mail (sisimai)',
    event: 'dsn:failed',
    reply: 'Content-Type: text/plain; charset=ISO-2022-JP\nX-SPASIGN: NG\n\nYour message to <taro@ezweb.ne.jp> was not delivered.',
    expect: { outcome: 'permanent', category: 'policy', rule: 'e-dsn-failed', replyRule: 't-au-spasign' },
  },
  {
    source: 'Gmail',
    reply: '421-4.7.0 This message is suspicious due to the very low reputation of the sending IP address.',
    expect: temp('reputation', 't-reputation-deferred'),
  },
  {
    source: 'SORBS (ZoneMTA)',
    reply: '454 4.7.1 Service unavailable; Client host [192.0.2.4] blocked using dnsbl.sorbs.net; Currently Sending Spam',
    expect: temp('reputation', 't-reputation-deferred'),
  },
  {
    source: 'Microsoft',
    reply:
      "550 5.7.1 Unfortunately, messages from [192.0.2.5] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
    expect: perm('reputation', 't-reputation-refused'),
  },
  {
    source: 'dev smart host (blocked-)',
    reply: '554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org',
    expect: perm('reputation', 't-reputation-refused'),
  },
  {
    source: 'Gmail',
    reply:
      "550-5.7.1 [192.0.2.1] The IP you're using to send mail is not authorized to send email directly to our servers. Please use the SMTP relay at your service provider instead.",
    expect: perm('reputation', 't-gmail-ip-not-authorized'),
  },
  {
    source: 'Yahoo',
    reply: '550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM.',
    expect: perm('policy', 't-authentication-policy'),
  },
  {
    source: 'SendGrid',
    reply: '550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.',
    expect: perm('policy', 't-sendgrid-sender-identity'),
  },
  {
    source: 'Yahoo',
    reply: '554 Message not allowed - [PH01] Email not accepted for policy reasons. Please visit https://postmaster.yahooinc.com/error-codes',
    expect: perm('policy', 't-policy'),
  },
  { source: 'dev smart host (policy-)', reply: '550 5.7.1 Message refused by policy', expect: perm('policy', 't-policy') },
  { source: 'Gmail', reply: '550-5.7.1 Our system has detected that this message is likely unsolicited mail.', expect: perm('policy', 't-spam-content') },
  { source: 'mail.ru (ZoneMTA)', reply: '550 spam message rejected.', expect: perm('policy', 't-spam-content') },
  {
    source: 'au/KDDI returned mail (sisimai)',
    event: 'dsn:failed',
    reply: 'The user(s) account is temporarily over quota.\n\n<taro@ezweb.ne.jp>',
    expect: { outcome: 'permanent', category: 'mailbox-full', rule: 'e-dsn-failed', replyRule: 't-mailbox-full-deferred' },
  },
  { source: 'docomo (sisimai)', reply: '552 too much mail data', expect: perm('mailbox-full', 't-mailbox-full') },
  { source: 'KumoMTA community', reply: '554 Quota exceeded (mailbox for user is full)', expect: perm('mailbox-full', 't-mailbox-full') },
  {
    source: 'web.de (KumoMTA community)',
    reply: '552 Requested mail action aborted: exceeded storage allocation Quota exceeded',
    expect: perm('mailbox-full', 't-mailbox-full'),
  },
  { source: 'Postfix', reply: '552 Mailbox size limit exceeded', expect: perm('mailbox-full', 't-mailbox-full') },
  { source: 'KumoMTA, ZoneMTA', reply: '552 Message size exceeds maximum permitted', expect: perm('message-too-large', 't-message-too-large') },
  {
    source: 'Exchange Online',
    reply: '550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB5EUR03FT034.eop-EUR03.prod.protection.outlook.com]',
    expect: perm('invalid-recipient', 't-exchange-access-denied'),
  },
  {
    source: 'Outlook.com',
    reply: '550 5.5.0 Requested action not taken: mailbox unavailable. [BN1NAM02FT018.eop-nam02.prod.protection.outlook.com]',
    expect: perm('invalid-recipient', 't-outlook-mailbox-unavailable'),
  },
  { source: 'Gmail', reply: '550-5.2.1 The email account that you tried to reach is disabled.', expect: perm('invalid-recipient', 't-gmail-account-disabled') },
  {
    source: 'Yahoo',
    reply: "554 delivery error: dd This user doesn't have a yahoo.com account (taro@yahoo.com) [0] - mta1234.mail.ne1.yahoo.com",
    expect: perm('invalid-recipient', 't-yahoo-no-account'),
  },
  { source: 'Yahoo', reply: '552 1 Requested mail action aborted, mailbox not found', expect: perm('invalid-recipient', 't-yahoo-mailbox-gone') },
  {
    source: 'AOL (sisimai)',
    reply: '554 30 Sorry, your message to taro@aol.jp cannot be delivered. This mailbox is disabled (554.30).',
    expect: perm('invalid-recipient', 't-yahoo-mailbox-gone'),
  },
  { source: 'docomo', reply: '550 Unknown user taro@docomo.ne.jp', expect: perm('invalid-recipient', 't-docomo-unknown-user') },
  { source: 'SoftBank', reply: '550 Unknown user taro@i.softbank.jp', expect: perm('invalid-recipient', 't-docomo-unknown-user') },
  { source: 'SoftBank', reply: '550 Invalid recipient <taro@softbank.ne.jp>', expect: perm('invalid-recipient', 't-softbank-invalid-recipient') },
  {
    source: 'au/KDDI returned mail (sisimai)',
    event: 'dsn:failed',
    reply:
      'Subject: Mail System Error - Returned Mail\nEach of the following recipients was rejected by a remote mail server.\n   Recipient: <taro@ezweb.ne.jp>\n   >>> RCPT TO:<taro@ezweb.ne.jp>\n   <<< 550 <taro@ezweb.ne.jp>: User unknown',
    expect: { outcome: 'permanent', category: 'invalid-recipient', rule: 'e-dsn-failed', replyRule: 't-au-returned-mail' },
  },
  {
    source: 'au/KDDI returned mail (sisimai)',
    reply: 'The user(s) account is disabled.\n\n<taro@ezweb.ne.jp>: 550 user unknown (in reply to RCPT TO command)',
    expect: perm('invalid-recipient', 't-au-account-disabled'),
  },
  { source: 'au/KDDI (sisimai)', reply: '550 <taro@ezweb.ne.jp>: User unknown', expect: perm('invalid-recipient', 't-kddi-user-unknown') },
  { source: 'qmail (ZoneMTA)', reply: '554 sorry, no mailbox here by that name. (#5.1.1)', expect: perm('invalid-recipient', 't-qmail-5.1.1') },
  {
    source: 'Postfix',
    reply: '550 5.1.0 <hanako@example.net>: Recipient address rejected: User unknown in local recipient table',
    expect: perm('invalid-recipient', 't-user-unknown'),
  },
  { source: 'Exim', reply: '550 No such user here', expect: perm('invalid-recipient', 't-user-unknown') },
  {
    source: 'SendGrid Event Webhook (bounce, type blocked)',
    event: 'sendgrid:blocked',
    reply: '550 5.7.1 Message rejected due to content policy',
    expect: { outcome: 'permanent', category: 'policy', rule: 'e-sendgrid-blocked', replyRule: 't-policy' },
  },
  {
    source: 'SendGrid',
    event: 'sendgrid:dropped',
    reply: 'Bounced Address',
    expect: { outcome: 'permanent', category: 'invalid-recipient', rule: 'e-sendgrid-dropped', replyRule: 't-sendgrid-bounced-address' },
  },
  {
    source: 'SendGrid',
    event: 'sendgrid:dropped',
    reply: 'Spam Reporting Address',
    expect: { outcome: 'permanent', category: 'complaint', rule: 'e-sendgrid-dropped', replyRule: 't-sendgrid-spam-reporting' },
  },
  // enhanced classes
  { source: 'Exchange (sisimai)', reply: '550 5.1.0 Sender denied', expect: perm('other', 'c-5.1') },
  {
    source: 'Postfix',
    reply: '450 4.1.1 <hanako@example.net>: Recipient address rejected: unverified address: host mx.example.net said: 421 closing',
    expect: temp('other', 'c-4.1'),
  },
  { source: 'Exchange (sisimai)', reply: '550 5.2.1 Mailbox cannot be accessed', expect: perm('other', 'c-5.2') },
  { source: 'RFC 3463', reply: '450 4.2.1 Mailbox disabled, not accepting messages', expect: temp('other', 'c-4.2') },
  { source: 'Exchange (sisimai)', reply: '554 5.3.0 Too many related errors', expect: perm('other', 'c-5.3') },
  { source: 'dev smart host', reply: '451 4.3.0 Error: queue file write error', expect: temp('other', 'c-4.3') },
  { source: 'dev smart host (defer-)', reply: '451 4.3.0 Temporarily unable to process, try again later', expect: temp('other', 'c-4.3') },
  { source: 'Exim', reply: '550 5.4.4 Unrouteable address', expect: perm('other', 'c-5.4') },
  { source: 'Postfix', reply: '421 4.4.2 mx.example.net Error: timeout exceeded', expect: temp('connection', 'c-4.4') },
  { source: 'Yahoo (sisimai)', reply: '501 5.5.2 Syntax error in parameters or arguments', expect: perm('other', 'c-5.5') },
  { source: 'Gmail (sisimai)', reply: '451 4.5.0 SMTP protocol violation, see RFC 2821', expect: temp('other', 'c-4.5') },
  { source: 'Gmail', reply: '554 5.6.0 Mail message is malformed. Not accepted.', expect: perm('policy', 'c-5.6') },
  { source: 'RFC 3463', reply: '451 4.6.0 Other or undefined media error', expect: temp('other', 'c-4.6') },
  { source: 'Exchange (sisimai)', reply: '550 5.7.1 Delivery not authorized, message refused', expect: perm('policy', 'c-5.7') },
  { source: 'Outlook.com (sisimai)', reply: '451 4.7.500 Server busy. Please try again later from [192.0.2.2]. (AS761)', expect: temp('policy', 'c-4.7') },
  // basic codes
  { source: 'RFC 5321', reply: '554 5.0.0 Service unavailable', expect: perm('other', 'b-5xx') },
  { source: 'RFC 5321', reply: '421 Service not available, closing transmission channel', expect: temp('other', 'b-4xx') },
  // upstream events
  { source: 'SendGrid', event: 'sendgrid:delivered', reply: '250 2.0.0 OK', expect: { outcome: 'sent', rule: 'e-sendgrid-delivered' } },
  {
    source: 'SendGrid',
    event: 'sendgrid:deferred',
    reply: '421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address.',
    expect: { outcome: 'temporary', category: 'rate-limit', rule: 'e-sendgrid-deferred', replyRule: 'x-4.7.28' },
  },
  {
    source: 'SendGrid',
    event: 'sendgrid:bounce',
    reply: '550 5.1.1 The email account that you tried to reach does not exist.',
    expect: { outcome: 'permanent', category: 'invalid-recipient', rule: 'e-sendgrid-bounce', replyRule: 'x-5.1.1' },
  },
  { source: 'SendGrid', event: 'sendgrid:spamreport', expect: { outcome: 'complaint', category: 'complaint', rule: 'e-sendgrid-spamreport' } },
  { source: 'SendGrid', event: 'sendgrid:unsubscribe', expect: { outcome: 'unsubscribe', rule: 'e-sendgrid-unsubscribe' } },
  { source: 'SendGrid', event: 'sendgrid:group_unsubscribe', expect: { outcome: 'unsubscribe', rule: 'e-sendgrid-group-unsubscribe' } },
  { source: 'SendGrid', event: 'sendgrid:open', expect: { outcome: 'ignored', rule: 'e-sendgrid-other' } },
  { source: 'ACS', event: 'acs:Delivered', expect: { outcome: 'sent', rule: 'e-acs-delivered' } },
  {
    source: 'ACS',
    event: 'acs:Bounced',
    reply: '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found',
    expect: { outcome: 'permanent', category: 'invalid-recipient', rule: 'e-acs-bounced', replyRule: 'x-5.1.1' },
  },
  { source: 'ACS', event: 'acs:Failed', expect: { outcome: 'permanent', category: 'other', rule: 'e-acs-failed' } },
  { source: 'ACS', event: 'acs:suppressed', expect: { outcome: 'permanent', category: 'other', rule: 'e-acs-suppressed' } },
  { source: 'ACS', event: 'acs:FilteredSpam', expect: { outcome: 'permanent', category: 'policy', rule: 'e-acs-filteredspam' } },
  { source: 'ACS', event: 'acs:Quarantined', expect: { outcome: 'permanent', category: 'policy', rule: 'e-acs-quarantined' } },
  { source: 'ACS', event: 'acs:Expanded', expect: { outcome: 'ignored', rule: 'e-acs-other' } },
  { source: 'RFC 3464', event: 'dsn:delivered', expect: { outcome: 'sent', rule: 'e-dsn-delivered' } },
  { source: 'RFC 3464', event: 'dsn:relayed', expect: { outcome: 'sent', rule: 'e-dsn-relayed' } },
  { source: 'RFC 3464', event: 'dsn:expanded', expect: { outcome: 'sent', rule: 'e-dsn-expanded' } },
  {
    source: 'Postfix delay notice',
    event: 'dsn:delayed',
    enhancedCode: '4.4.7',
    reply: 'delivery temporarily suspended: connect to mx.example.net[192.0.2.9]:25: Connection timed out',
    expect: { outcome: 'temporary', category: 'timeout', rule: 'e-dsn-delayed', replyRule: 'x-4.4.7' },
  },
  {
    source: 'Postfix DSN',
    event: 'dsn:failed',
    code: 550,
    enhancedCode: '5.1.1',
    reply: 'smtp; 550 5.1.1 <hanako@example.net>: Recipient address rejected: User unknown',
    expect: { outcome: 'permanent', category: 'invalid-recipient', rule: 'e-dsn-failed', replyRule: 'x-5.1.1' },
  },
  { source: 'RFC 3464', event: 'dsn:unknown-action', expect: { outcome: 'ignored', rule: 'e-dsn-other' } },
];
