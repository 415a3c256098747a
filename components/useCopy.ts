"use client";

import { useState } from "react";

/**
 * Copy text to the clipboard from a button: `copied` is undefined until a try, then "yes", or "no" when the
 * browser refused (no permission, not a secure context), so the caller can ask for a copy by hand.
 */
export function useCopy(): { copied: "yes" | "no" | undefined; copy: (text: string) => Promise<void> } {
  const [copied, setCopied] = useState<"yes" | "no">();
  async function copy(text: string) {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("yes");
    } catch {
      setCopied("no");
    }
  }
  return { copied, copy };
}
