export * from "./assets";
export * from "./campaigns";
export * from "./contributions";
export * from "./ledger";
export * from "./outbox";
export * from "./payouts";
export * from "./tokens";
export * from "./users";
