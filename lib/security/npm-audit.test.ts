import { describe, expect, it } from "vitest";
import { type AuditException, auditVerdict, type NpmAuditReport } from "./npm-audit";

const report: NpmAuditReport = {
  vulnerabilities: {
    "left-pad": {
      name: "left-pad",
      severity: "high",
      via: [
        { source: 1, url: "https://github.com/advisories/GHSA-aaaa-bbbb-cccc", title: "Prototype pollution", severity: "high" },
      ],
    },
    wrapper: { name: "wrapper", severity: "high", via: ["left-pad"] },
    chalk: {
      name: "chalk",
      severity: "moderate",
      via: [{ source: 2, url: "https://github.com/advisories/GHSA-dddd-eeee-ffff", title: "ReDoS", severity: "moderate" }],
    },
  },
};
const exception: AuditException = {
  advisory: "GHSA-aaaa-bbbb-cccc",
  package: "left-pad",
  reason: "only reached from the build",
  until: "2027-01-31",
};

describe("auditVerdict", () => {
  it("fails on a high advisory without an exception, and ignores moderate ones and transitive mentions", () => {
    const v = auditVerdict(report, [], "2026-12-01");
    expect(v.unexcepted).toEqual([
      { package: "left-pad", advisory: "GHSA-aaaa-bbbb-cccc", severity: "high", title: "Prototype pollution" },
    ]);
    expect(v.excepted).toEqual([]);
  });

  it("passes a high advisory covered by a justified, unexpired exception", () => {
    const v = auditVerdict(report, [exception], "2026-12-01");
    expect(v.unexcepted).toEqual([]);
    expect(v.excepted.map((f) => f.advisory)).toEqual(["GHSA-aaaa-bbbb-cccc"]);
  });

  it("an expired exception or one without a reason covers nothing and is reported", () => {
    for (const bad of [
      { ...exception, until: "2026-11-30" },
      { ...exception, reason: " " },
    ]) {
      const v = auditVerdict(report, [bad], "2026-12-01");
      expect(v.unexcepted).toHaveLength(1);
      expect(v.invalidExceptions).toEqual([bad]);
    }
  });

  it("an exception for another package does not cover the advisory", () => {
    expect(auditVerdict(report, [{ ...exception, package: "right-pad" }], "2026-12-01").unexcepted).toHaveLength(1);
  });
});
