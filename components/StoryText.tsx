import { splitLinks, storyParagraphs } from "@/lib/text/links";

/**
 * A campaign's story as its creator wrote it: plain text, a paragraph per blank-line-separated block (as the story
 * field's hint says), single line breaks kept by CSS `.story-text`, its http(s) addresses as links
 * (lib/text/links.ts). Nothing else is interpreted: React escapes every piece. The links are the creator's, not
 * ours: `nofollow ugc` for search engines, `noopener noreferrer` for the opened page.
 */
export function StoryText({ story }: { story: string }) {
  return (
    <div className="story-body">
      {storyParagraphs(story).map((p, i) => (
        <Paragraph key={i} text={p} />
      ))}
    </div>
  );
}

function Paragraph({ text }: { text: string }) {
  return (
    <p className="story-text">
      {splitLinks(text).map((piece, i) =>
        "href" in piece ? (
          <a key={i} href={piece.href} rel="nofollow ugc noopener noreferrer">
            {piece.text}
          </a>
        ) : (
          piece.text
        ),
      )}
    </p>
  );
}
