import { percentOf } from "./format";

export function ProgressBar({ collected, goal, label }: { collected: number; goal: number; label?: string }) {
  const pct = percentOf(collected, goal);
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label ?? "Funding progress"}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      aria-valuetext={`${pct}% of goal`}
    >
      <div className="progress-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}
