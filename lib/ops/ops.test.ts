import { describe, expect, it } from "vitest";
import { createOpsSnapshot } from "./index";

describe("createOpsSnapshot", () => {
  it("runs the scans once per interval, concurrent callers sharing the one in flight", async () => {
    let t = 1_000_000;
    let scans = 0;
    const snapshot = createOpsSnapshot(
      async () => {
        scans++;
        await new Promise((r) => setTimeout(r, 20));
        return { consumers: {} };
      },
      5000,
      () => t,
    );
    const burst = await Promise.all(Array.from({ length: 100 }, () => snapshot.get()));
    expect(scans).toBe(1);
    expect(new Set(burst.map((s) => s.checkedAt)).size).toBe(1);
    t += 4999;
    await snapshot.get();
    expect(scans).toBe(1);
    t += 1;
    const later = await snapshot.get();
    expect(scans).toBe(2);
    expect(later.checkedAt).toBe(new Date(t).toISOString());
  });

  it("reports empty figures when a scan fails, without throwing", async () => {
    const snapshot = createOpsSnapshot(async () => {
      throw new Error("database gone");
    });
    expect(await snapshot.get()).toMatchObject({ consumers: {} });
  });
});
