import pino, { type Logger } from "pino";
import { services } from "@/lib/app";
import type { Config } from "@/lib/config";

/** A structured JSON-lines logger on stdout (pino) at LOG_LEVEL; the composition root makes the process's one. */
export function createLogger(c: Pick<Config, "LOG_LEVEL">): Logger {
  return pino({
    level: c.LOG_LEVEL,
    base: { service: "crowdfund" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ["req.headers.authorization", "req.headers.cookie"],
  });
}

/** The process logger (lib/app `services().log`). */
export function logger(): Logger {
  return services().log;
}
