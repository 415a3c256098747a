import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { probeVideo } from "./video";

const fixture = (name: string) => path.resolve(import.meta.dirname, "../../tests/fixtures", name);

describe("probeVideo", () => {
  it("reads duration and size of an MP4", async () => {
    expect(await probeVideo(fixture("clip.mp4"), "video/mp4")).toEqual({ durationSeconds: 1, width: 160, height: 90 });
  });

  it("reads duration and size of a WebM", async () => {
    expect(await probeVideo(fixture("clip.webm"), "video/webm")).toEqual({ durationSeconds: 1, width: 160, height: 90 });
  });

  it("refuses an MP4 without its moov box and a WebM that is not EBML", async () => {
    const p = path.join(tmpdir(), `cf-probe-${process.pid}`);
    // a bare ftyp box: MP4 magic, nothing playable
    await writeFile(p, Buffer.from("0000001c6674797069736f6d0000020069736f6d69736f326d703431", "hex"));
    expect(await probeVideo(p, "video/mp4")).toBeUndefined();
    await writeFile(p, Buffer.from("not a webm at all"));
    expect(await probeVideo(p, "video/webm")).toBeUndefined();
  });
});
