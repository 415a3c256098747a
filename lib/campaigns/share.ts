/**
 * Where a campaign can be shared, as plain links (no third-party script on our pages): e-mail, WhatsApp, X and
 * Facebook, each the service's documented share address with the campaign's URL and title filled in.
 * `url`: the campaign's absolute address (/campaigns/{id} on the app's public origin); `title`: its title.
 */
export function shareLinks(url: string, title: string): { service: string; label: string; href: string }[] {
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const text = `Please support "${title}"`;
  return [
    // RFC 6068: mailto's subject and body are percent-encoded (URLSearchParams would turn spaces into "+").
    {
      service: "email",
      label: "E-mail",
      href: `mailto:?subject=${encodeURIComponent(title)}&body=${encodeURIComponent(`${text}: ${url}`)}`,
    },
    { service: "whatsapp", label: "WhatsApp", href: `https://wa.me/?${q({ text: `${text}: ${url}` })}` },
    { service: "x", label: "X", href: `https://x.com/intent/post?${q({ text, url })}` },
    { service: "facebook", label: "Facebook", href: `https://www.facebook.com/sharer/sharer.php?${q({ u: url })}` },
  ];
}
