// Smart hosts that publish an SPF record for their customers to include, by the host name the relay
// connects to. A `*` stands for one DNS label (Amazon SES's region). Each entry names where the
// include is published; a host not listed here is not checked (the doctor says so).

export interface SmartHostSpf {
  /** what the provider is called, for the doctor's output */
  readonly provider: string;
  /** SMTP host names, lower case; `*` matches one label */
  readonly hosts: readonly string[];
  /** the domain customers `include:` in their SPF record */
  readonly include: string;
  readonly source: string;
}

export const SMART_HOST_SPF: readonly SmartHostSpf[] = [
  {
    provider: 'SendGrid',
    hosts: ['smtp.sendgrid.net'],
    include: 'sendgrid.net',
    source: 'Twilio SendGrid, "SPF Records Explained" (https://www.twilio.com/docs/sendgrid/ui/account-and-settings/spf-records): include:sendgrid.net',
  },
  {
    provider: 'Exchange Online',
    hosts: ['smtp.office365.com', 'smtp-legacy.office365.com'],
    include: 'spf.protection.outlook.com',
    source:
      'Microsoft Learn, "Set up SPF to identify valid email sources for your Microsoft 365 domain" (https://learn.microsoft.com/defender-office-365/email-authentication-spf-configure): include:spf.protection.outlook.com',
  },
  {
    provider: 'Azure Communication Services',
    hosts: ['smtp.azurecomm.net'],
    include: 'spf.protection.outlook.com',
    source:
      'Microsoft Learn, "Quickstart: How to add custom verified email domains" (https://learn.microsoft.com/azure/communication-services/quickstarts/email/add-custom-verified-domains): SPF "v=spf1 include:spf.protection.outlook.com -all"',
  },
  {
    provider: 'Amazon SES',
    hosts: ['email-smtp.*.amazonaws.com'],
    include: 'amazonses.com',
    source:
      'Amazon SES Developer Guide, "Authenticating Email with SPF in Amazon SES" (https://docs.aws.amazon.com/ses/latest/dg/send-email-authentication-spf.html): include:amazonses.com for a custom MAIL FROM domain',
  },
  {
    provider: 'Google Workspace',
    hosts: ['smtp-relay.gmail.com', 'smtp.gmail.com'],
    include: '_spf.google.com',
    source: 'Google Workspace Admin Help, "Set up SPF" (https://support.google.com/a/answer/10685031): include:_spf.google.com',
  },
  {
    provider: 'Mailgun',
    hosts: ['smtp.mailgun.org', 'smtp.eu.mailgun.org'],
    include: 'mailgun.org',
    source: 'Mailgun domain verification records (https://documentation.mailgun.com/docs/mailgun/user-manual/get-started/): "v=spf1 include:mailgun.org ~all"',
  },
];

/** The entry for a smart host's name, if it is a known one. */
export function smartHostSpf(host: string): SmartHostSpf | undefined {
  const name = host.toLowerCase().replace(/\.$/, '');
  return SMART_HOST_SPF.find((entry) => entry.hosts.some((pattern) => hostMatches(pattern, name)));
}

function hostMatches(pattern: string, name: string): boolean {
  const want = pattern.split('.');
  const have = name.split('.');
  return want.length === have.length && want.every((label, i) => label === '*' || label === have[i]);
}
