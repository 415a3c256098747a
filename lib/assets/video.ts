import { open } from "node:fs/promises";

/** What the container says about a video: its duration (seconds) and picture size, when stated. */
export interface VideoInfo {
  durationSeconds: number | null;
  width: number | null;
  height: number | null;
}

/**
 * Read duration and size from an MP4 (ISO-BMFF `moov` → `mvhd`, `tkhd`) or WebM (EBML
 * `Info` → `Duration`, `Tracks` → `Video`). Returns undefined when the file is not a
 * well-formed container of that kind (e.g. an MP4 without its `moov` box: unplayable).
 */
export async function probeVideo(path: string, mime: string): Promise<VideoInfo | undefined> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const read = async (pos: number, len: number) => {
      const buf = Buffer.alloc(Math.max(0, Math.min(len, size - pos)));
      if (buf.length > 0) await fh.read(buf, 0, buf.length, pos);
      return buf;
    };
    return mime === "video/mp4" ? await probeMp4(read, size) : probeWebm(await read(0, 1024 * 1024));
  } finally {
    await fh.close();
  }
}

type Reader = (pos: number, len: number) => Promise<Buffer>;

async function probeMp4(read: Reader, size: number): Promise<VideoInfo | undefined> {
  // Walk the top-level boxes (moov may sit at the end when the file is not "fast-start").
  let pos = 0;
  while (pos + 8 <= size) {
    const h = await read(pos, 16);
    let boxSize = h.readUInt32BE(0);
    const type = h.toString("latin1", 4, 8);
    let header = 8;
    if (boxSize === 1) {
      boxSize = Number(h.readBigUInt64BE(8));
      header = 16;
    } else if (boxSize === 0) boxSize = size - pos;
    if (boxSize < header || pos + boxSize > size) return undefined;
    if (type === "moov") {
      if (boxSize > 64 * 1024 * 1024) return undefined;
      return parseMoov(await read(pos + header, boxSize - header));
    }
    pos += boxSize;
  }
  return undefined;
}

function* boxes(buf: Buffer, start = 0, end = buf.length): Generator<{ type: string; body: Buffer }> {
  let pos = start;
  while (pos + 8 <= end) {
    let size = buf.readUInt32BE(pos);
    const type = buf.toString("latin1", pos + 4, pos + 8);
    let header = 8;
    if (size === 1) {
      if (pos + 16 > end) return;
      size = Number(buf.readBigUInt64BE(pos + 8));
      header = 16;
    } else if (size === 0) size = end - pos;
    if (size < header || pos + size > end) return;
    yield { type, body: buf.subarray(pos + header, pos + size) };
    pos += size;
  }
}

function parseMoov(moov: Buffer): VideoInfo | undefined {
  let durationSeconds: number | null = null;
  let width: number | null = null;
  let height: number | null = null;
  let sawMvhd = false;
  for (const box of boxes(moov)) {
    if (box.type === "mvhd" && box.body.length >= 32) {
      sawMvhd = true;
      const v1 = box.body[0] === 1;
      const timescale = box.body.readUInt32BE(v1 ? 20 : 12);
      const duration = v1 ? Number(box.body.readBigUInt64BE(24)) : box.body.readUInt32BE(16);
      if (timescale > 0) durationSeconds = Math.round((duration / timescale) * 1000) / 1000;
    }
    if (box.type === "trak" && width === null) {
      for (const inner of boxes(box.body)) {
        if (inner.type !== "tkhd") continue;
        const v1 = inner.body[0] === 1;
        const at = v1 ? 88 : 76; // width, height: 16.16 fixed point after the matrix
        if (inner.body.length < at + 8) continue;
        const w = inner.body.readUInt32BE(at) >>> 16;
        const h = inner.body.readUInt32BE(at + 4) >>> 16;
        if (w > 0 && h > 0) {
          width = w;
          height = h;
        }
      }
    }
  }
  return sawMvhd ? { durationSeconds, width, height } : undefined;
}

// EBML (Matroska/WebM) element IDs
const EBML = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const TIMECODE_SCALE = 0x2ad7b1;
const DURATION = 0x4489;
const TRACKS = 0x1654ae6b;
const TRACK_ENTRY = 0xae;
const VIDEO = 0xe0;
const PIXEL_WIDTH = 0xb0;
const PIXEL_HEIGHT = 0xba;
const CLUSTER = 0x1f43b675;

function vint(buf: Buffer, pos: number, keepMarker: boolean): { value: number; len: number; unknown: boolean } | undefined {
  const first = buf[pos];
  if (first === undefined || first === 0) return undefined;
  let len = 1;
  while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
  if (len > 8 || pos + len > buf.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> len);
  let allOnes = value === 0xff >> len;
  for (let i = 1; i < len; i++) {
    const b = buf[pos + i] as number;
    value = value * 256 + b;
    if (b !== 0xff) allOnes = false;
  }
  return { value, len, unknown: !keepMarker && allOnes };
}

function* elements(buf: Buffer, start: number, end: number): Generator<{ id: number; start: number; end: number }> {
  let pos = start;
  while (pos < end) {
    const id = vint(buf, pos, true);
    if (!id) return;
    const size = vint(buf, pos + id.len, false);
    if (!size) return;
    const dataStart = pos + id.len + size.len;
    const dataEnd = size.unknown ? end : Math.min(end, dataStart + size.value);
    yield { id: id.value, start: dataStart, end: dataEnd };
    if (size.unknown) return; // only the Segment (or a live Cluster) has unknown size; descend instead
    pos = dataEnd;
  }
}

const uint = (buf: Buffer, s: number, e: number) => {
  let v = 0;
  for (let i = s; i < e; i++) v = v * 256 + (buf[i] as number);
  return v;
};

function probeWebm(buf: Buffer): VideoInfo | undefined {
  const top = [...elements(buf, 0, buf.length)];
  if (top[0]?.id !== EBML) return undefined;
  const segment = top.find((e) => e.id === SEGMENT);
  if (!segment) return undefined;
  let scale = 1_000_000;
  let duration: number | null = null;
  let width: number | null = null;
  let height: number | null = null;
  for (const el of elements(buf, segment.start, segment.end)) {
    if (el.id === CLUSTER) break; // metadata comes before the first cluster
    if (el.id === INFO) {
      for (const f of elements(buf, el.start, el.end)) {
        if (f.id === TIMECODE_SCALE) scale = uint(buf, f.start, f.end) || scale;
        if (f.id === DURATION) {
          const n = f.end - f.start;
          duration = n === 4 ? buf.readFloatBE(f.start) : n === 8 ? buf.readDoubleBE(f.start) : null;
        }
      }
    }
    if (el.id === TRACKS) {
      for (const t of elements(buf, el.start, el.end)) {
        if (t.id !== TRACK_ENTRY) continue;
        for (const v of elements(buf, t.start, t.end)) {
          if (v.id !== VIDEO || width !== null) continue;
          for (const p of elements(buf, v.start, v.end)) {
            if (p.id === PIXEL_WIDTH) width = uint(buf, p.start, p.end);
            if (p.id === PIXEL_HEIGHT) height = uint(buf, p.start, p.end);
          }
        }
      }
    }
  }
  // A WebM straight from MediaRecorder states no duration: that is still a playable file.
  const durationSeconds = duration === null ? null : Math.round(((duration * scale) / 1e9) * 1000) / 1000;
  return { durationSeconds, width, height };
}
