import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/** A message the test SMTP server accepted, parsed (mailparser), with its envelope recipients. */
export interface Received {
  mail: ParsedMail;
  to: string[];
  messageId: string;
}

export interface TestSmtp {
  /** `smtp://127.0.0.1:<port>`: the app's SMTP_URL. */
  url: string;
  received: Received[];
  /**
   * Answer 421 ("try again later") to every RCPT TO while true: the app's sender must keep the message and
   * retry it. Set it back to false to accept.
   */
  busy: boolean;
  /** Recipients whose next RCPT TO is refused once with 421 (then accepted). */
  refuseOnce: Set<string>;
  /** Recipients refused for good with 550. */
  refuseAlways: Set<string>;
  /** How many RCPT TO got a 421 so far. */
  refused: number;
  /** The accepted messages sent to `address` (envelope). */
  to(address: string): Received[];
  close(): Promise<void>;
}

/**
 * A real SMTP server (the `smtp-server` package) on a free loopback port, without TLS or authentication,
 * that parses and keeps every message it accepts. Its refusals are steered by the fields above.
 */
export async function startTestSmtp(): Promise<TestSmtp> {
  const state: TestSmtp = {
    url: "",
    received: [],
    busy: false,
    refuseOnce: new Set(),
    refuseAlways: new Set(),
    refused: 0,
    to: (address) => state.received.filter((r) => r.to.includes(address.toLowerCase())),
    close: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(address, _session, cb) {
      const a = address.address.toLowerCase();
      const fail = (code: number, text: string) => cb(Object.assign(new Error(text), { responseCode: code }));
      if (state.refuseAlways.has(a)) return fail(550, "No such user here");
      if (state.busy || state.refuseOnce.delete(a)) {
        state.refused++;
        return fail(421, "Try again later");
      }
      cb();
    },
    onData(stream, session, cb) {
      simpleParser(stream).then(
        (mail) => {
          state.received.push({
            mail,
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            messageId: mail.messageId ?? "",
          });
          cb();
        },
        (err) => cb(err),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  state.url = `smtp://127.0.0.1:${port}`;
  state.close = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}
