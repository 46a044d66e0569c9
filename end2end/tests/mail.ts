import * as fs from "fs";
import * as path from "path";

/** A message received by the test SMTP server, decoded enough to read it. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
}

const maildir = () => process.env.E2E_MAILDIR ?? path.join(__dirname, "..", ".data", "maildir");

function decodeQuotedPrintable(body: string): string {
  const bytes: number[] = [];
  const soft = body.replace(/=\r?\n/g, "");
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i], "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

function splitHeaders(part: string): [Record<string, string>, string] {
  const at = part.search(/\r?\n\r?\n/);
  const head = part.slice(0, at).replace(/\r?\n[ \t]+/g, " ");
  const body = part.slice(at).replace(/^\r?\n\r?\n/, "");
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return [headers, body];
}

function decodeBody(headers: Record<string, string>, body: string): string {
  const encoding = (headers["content-transfer-encoding"] ?? "7bit").toLowerCase();
  if (encoding === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (encoding === "quoted-printable") return decodeQuotedPrintable(body);
  return body;
}

function parse(raw: string): Mail {
  const [headers, body] = splitHeaders(raw);
  let text = decodeBody(headers, body);
  const boundary = /boundary="?([^";]+)"?/i.exec(headers["content-type"] ?? "")?.[1];
  if (boundary) {
    for (const part of body.split(`--${boundary}`)) {
      const [partHeaders, partBody] = splitHeaders(part.replace(/^\r?\n/, ""));
      if ((partHeaders["content-type"] ?? "").startsWith("text/plain")) {
        text = decodeBody(partHeaders, partBody);
      }
    }
  }
  const to = /<?([^<>\s]+@[^<>\s]+)>?/.exec(headers["to"] ?? "")?.[1] ?? "";
  return { to: to.toLowerCase(), subject: headers["subject"] ?? "", text };
}

/** The messages received so far for `to`, oldest first. */
export function mailsTo(to: string): Mail[] {
  const dir = path.join(maildir(), "new");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((name) => path.join(dir, name))
    .sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs)
    .map((file) => parse(fs.readFileSync(file, "utf8")))
    .filter((mail) => mail.to === to.toLowerCase());
}

/** Waits for the `count`-th message to `to` and returns it. */
export async function waitForMail(to: string, count = 1, timeoutMs = 15_000): Promise<Mail> {
  const started = Date.now();
  for (;;) {
    const mails = mailsTo(to);
    if (mails.length >= count) return mails[count - 1];
    if (Date.now() - started > timeoutMs) throw new Error(`${to} received ${mails.length} of ${count} messages`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function linkIn(mail: Mail, pathPart: string): string {
  const link = mail.text.split(/\s+/).find((word) => word.startsWith("http") && word.includes(pathPart));
  if (!link) throw new Error(`no ${pathPart} link in: ${mail.text}`);
  return link;
}

export function codeIn(mail: Mail): string {
  const code = mail.text.split(/\s+/).find((word) => /^\d{6}$/.test(word));
  if (!code) throw new Error(`no code in: ${mail.text}`);
  return code;
}
