// Builds the RFC 5322 message once, at accept time, with nodemailer's MailComposer. The relay then
// sends these exact bytes to every recipient, so Message-ID and Date are the same in every copy and
// no MIME work is repeated per delivery. Bcc recipients are in the envelope only, never a header.
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Mailbox } from './address';
import type { SendRequest } from './sendRequest';

export function messageIdFor(id: string, request: SendRequest): string {
  const domain = request.from.address.slice(request.from.address.lastIndexOf('@') + 1);
  return `<${id}@${domain}>`;
}

export function composeMessage(id: string, request: SendRequest, date: Date): Promise<Buffer> {
  const composer = new MailComposer({
    from: toAddress(request.from),
    to: request.to.map(toAddress),
    cc: request.cc.map(toAddress),
    replyTo: request.replyTo.length > 0 ? request.replyTo.map(toAddress) : undefined,
    subject: request.subject,
    text: request.text,
    html: request.html,
    headers: request.headers,
    messageId: messageIdFor(id, request),
    date,
    attachments: request.attachments.map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
      cid: a.contentId,
    })),
  });
  return new Promise((resolve, reject) => {
    composer.compile().build((err, message) => (err ? reject(err) : resolve(message)));
  });
}

function toAddress(m: Mailbox): { name: string; address: string } {
  return { name: m.name ?? '', address: m.address };
}
