import { describe, expect, it } from "vitest";
import { assertAscending, comparePositions } from "./position";

describe("stream positions", () => {
  it("compares xids as numbers, not text", () => {
    expect(comparePositions({ xid: "9999", seq: "5" }, { xid: "10000", seq: "1" })).toBe(-1);
    expect(comparePositions({ xid: "100000", seq: "1" }, { xid: "99999", seq: "9" })).toBe(1);
    expect(comparePositions({ xid: "18446744073709551615", seq: "2" }, { xid: "18446744073709551615", seq: "10" })).toBe(-1);
    expect(comparePositions({ xid: "7", seq: "3" }, { xid: "7", seq: "3" })).toBe(0);
  });

  it("accepts a batch that ascends after the cursor and refuses one sorted as text", () => {
    const cursor = { xid: "9990", seq: "1" };
    expect(() =>
      assertAscending("g:0", cursor, [
        { xid: "9998", seq: "4" },
        { xid: "9999", seq: "2" },
        { xid: "10000", seq: "3" },
      ]),
    ).not.toThrow();
    expect(() =>
      assertAscending("g:0", cursor, [
        { xid: "10000", seq: "3" },
        { xid: "9998", seq: "4" },
      ]),
    ).toThrow(/out of order at \(9998, 4\) after \(10000, 3\)/);
    expect(() => assertAscending("g:0", cursor, [{ xid: "9990", seq: "1" }])).toThrow(/out of order/);
  });
});
