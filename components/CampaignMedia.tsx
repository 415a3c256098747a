import type { AssetDto } from "@/lib/assets/schemas";
import { AssetImage } from "./AssetImage";

/**
 * A campaign's pictures and videos: the first picture is the cover (loaded eagerly),
 * the others a lazy-loaded gallery below it, then the videos in a player that seeks with Range requests.
 */
export function CampaignMedia({ title, assets }: { title: string; assets: AssetDto[] }) {
  const images = assets.filter((a) => a.kind === "image");
  const videos = assets.filter((a) => a.kind === "video");
  const [cover, ...gallery] = images;
  if (assets.length === 0) return null;
  return (
    <section className="campaign-media" aria-label="Pictures and videos">
      {cover && (
        <figure className="cover">
          <AssetImage
            id={cover.id}
            alt={`Cover picture of ${title}`}
            width={cover.width ?? 1600}
            height={cover.height ?? 900}
            sizes="(max-width: 860px) 100vw, 800px"
            priority
            className="cover-image"
          />
        </figure>
      )}
      {gallery.length > 0 && (
        <ul className="gallery" aria-label="Gallery">
          {gallery.map((a, i) => (
            <li key={a.id}>
              <a href={`${a.url}?variant=hero`} target="_blank" rel="noopener">
                <AssetImage
                  id={a.id}
                  alt={`Picture ${i + 2} of ${title}`}
                  width={a.width ?? 320}
                  height={a.height ?? 240}
                  sizes="(max-width: 600px) 50vw, 320px"
                  className="gallery-image"
                />
              </a>
            </li>
          ))}
        </ul>
      )}
      {videos.map((v, i) => (
        // biome-ignore lint/a11y/useMediaCaption: creators upload films without caption tracks
        <video
          key={v.id}
          className="campaign-video"
          controls
          playsInline
          preload="metadata"
          src={v.url}
          width={v.width ?? undefined}
          height={v.height ?? undefined}
          aria-label={`Video ${i + 1} of ${title}`}
        />
      ))}
    </section>
  );
}
