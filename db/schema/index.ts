export * from "./assets";
export * from "./campaigns";
export * from "./contributions";
export * from "./ledger";
export * from "./outbox";
export * from "./tokens";
export * from "./users";
