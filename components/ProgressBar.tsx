import { percentOf, percentText } from "./format";

/**
 * A campaign's progress towards its goal (both in minor units). Any amount collected shows: below 1% the bar keeps a
 * sliver (CSS `.progress-fill-some`) and reads "<1% of goal".
 */
export function ProgressBar({ collected, goal, label }: { collected: number; goal: number; label?: string }) {
  const pct = percentOf(collected, goal);
  const some = collected > 0 && goal > 0;
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label ?? "Funding progress"}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      aria-valuetext={`${percentText(collected, goal)} of goal`}
    >
      <div className={some ? "progress-fill progress-fill-some" : "progress-fill"} style={{ width: `${pct}%` }} />
    </div>
  );
}
