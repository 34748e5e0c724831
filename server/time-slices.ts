// Long synchronous work in slices, so that a large request (a 10,000-line import) does not hold up
// every other request for its whole duration: the work checks `due()` as it goes and, once its
// slice of time is used up, awaits `next()`, which lets the event loop serve what is waiting.
// Half a millisecond: with 1 ms, { hello }'s p99 during imports was twice its idle p99; the
// import's own CPU did not change measurably.
const SLICE_MS = 0.5;

export function timeSlices(sliceMs = SLICE_MS) {
  let started = performance.now();
  return {
    due: () => performance.now() - started >= sliceMs,
    next: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      started = performance.now();
    },
  };
}

export type TimeSlices = ReturnType<typeof timeSlices>;
