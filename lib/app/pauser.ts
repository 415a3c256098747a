/**
 * A sleep that `wake()` cuts short, for a background loop's poll interval and back-off: stopping the loop
 * never waits out a back-off of several seconds.
 */
export function pauser(): { pause(ms: number): Promise<void>; wake(): void } {
  let wake = () => {};
  return {
    pause: (ms) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      }),
    wake: () => wake(),
  };
}
