import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * `deploy/nginx.conf` made to run on loopback for one local front (`npm run start:cluster`, `npm run bench`):
 * listening on 127.0.0.1:`port`, balancing over `upstreams` (ports of web instances on 127.0.0.1), its pid,
 * error log, caches and temporary files under `work` (so it runs as any user, beside any other nginx). The
 * directives are the shipped file's; only the lines marked "rewritten" there change.
 */
export function localNginxConf(o: { work: string; port: number; upstreams: number[] }): string {
  const conf = readFileSync(path.join(import.meta.dirname, "..", "deploy", "nginx.conf"), "utf8");
  const servers = o.upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=3 fail_timeout=5s;`).join("\n");
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((t) => `  ${t}_temp_path ${o.work}/temp-${t};`)
    .join("\n");
  return conf
    .replace(/pid [^;]+;/, `pid ${o.work}/nginx.pid;`)
    .replace(/( {4}server 127\.0\.0\.1:300\d [^\n]*\n)+/, `${servers}\n`)
    .replace(/proxy_cache_path \S+\/(\S+)/g, (_, dir) => `proxy_cache_path ${o.work}/cache-${dir}`)
    .replace(/listen 8080/, `listen 127.0.0.1:${o.port}`)
    .replace("worker_processes auto;", `worker_processes auto;\nerror_log ${o.work}/error.log;`)
    .replace("http {\n", `http {\n${temp}\n`);
}
