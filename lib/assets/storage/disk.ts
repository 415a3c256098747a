import { randomUUID } from "node:crypto";
import { createReadStream, type Dirent } from "node:fs";
import { copyFile, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { type AssetStorage, assertKey, type ByteRange, type StoredObject } from "../types";

/**
 * The embedded default: objects are files under `root` (./.data/assets). A put writes a
 * temporary file beside its target, fsyncs it and renames it into place, so a reader never
 * sees half an object and a crash leaves at most a `.tmp-*` file.
 */
export function diskStorage(root: string): AssetStorage {
  const file = (key: string) => {
    assertKey(key);
    return path.join(root, key);
  };
  return {
    name: "disk",
    async put(key, src) {
      const dest = file(key);
      await mkdir(path.dirname(dest), { recursive: true });
      const tmp = `${dest}.tmp-${randomUUID()}`;
      try {
        await copyFile(src.path, tmp);
        const fh = await open(tmp, "r+");
        await fh.sync().finally(() => fh.close());
        await rename(tmp, dest);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    },
    async get(key, range?: ByteRange): Promise<StoredObject | undefined> {
      const p = file(key);
      let size: number;
      try {
        size = (await stat(p)).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
      }
      const stream = createReadStream(p, range ? { start: range.start, end: range.end } : {});
      return { body: Readable.toWeb(stream) as ReadableStream<Uint8Array>, size };
    },
    async delete(key) {
      await rm(file(key), { force: true });
    },
    async *list(prefix) {
      let entries: Dirent[];
      try {
        entries = await readdir(root, { recursive: true, withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      for (const e of entries) {
        if (!e.isFile()) continue;
        const key = path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/");
        if (!key.startsWith(prefix)) continue;
        // half-written puts a crash left behind are listed too (under their temporary name)
        yield { key, lastModified: (await stat(path.join(root, key))).mtime };
      }
    },
    async move(from, to) {
      const dest = file(to);
      await mkdir(path.dirname(dest), { recursive: true });
      await rename(file(from), dest);
    },
  };
}
