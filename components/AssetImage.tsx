"use client";

import Image, { type ImageLoader } from "next/image";

/**
 * next/image over our own variants: the loader maps the width the browser needs to the
 * smallest variant that covers it (thumb 320, card 800, hero 1600, matching
 * next.config's image sizes), served as AVIF or WebP by the asset route. No second
 * optimizer runs (/_next/image is not used).
 */
const loader: ImageLoader = ({ src, width }) => {
  const variant = width <= 320 ? "thumb" : width <= 800 ? "card" : "hero";
  return `${src}?variant=${variant}`;
};

interface Props {
  id: string;
  alt: string;
  width: number;
  height: number;
  sizes: string;
  priority?: boolean;
  className?: string;
}

export function AssetImage({ id, alt, width, height, sizes, priority, className }: Props) {
  return (
    <Image
      loader={loader}
      src={`/api/assets/${id}`}
      alt={alt}
      width={width}
      height={height}
      sizes={sizes}
      priority={priority}
      className={className}
    />
  );
}
