import pino, { type Logger } from "pino";
import { config } from "@/lib/config";

const g = globalThis as unknown as { __cfLog?: Logger };

/** The process logger: structured JSON lines on stdout (pino). */
export function logger(): Logger {
  g.__cfLog ??= pino({
    level: config().LOG_LEVEL,
    base: { service: "crowdfund" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ["req.headers.authorization", "req.headers.cookie"],
  });
  return g.__cfLog;
}
