/** How each mail status (`mail_messages.status`) reads in the admins' mailbox, and its badge class. */
export const MAIL_STATUS: Record<string, { label: string; badge: string }> = {
  pending: { label: "Pending", badge: "badge-draft" },
  sent: { label: "Sent", badge: "badge-active" },
  kept: { label: "Kept (no SMTP)", badge: "badge-ended" },
  failed: { label: "Failed", badge: "badge-suspended" },
};
